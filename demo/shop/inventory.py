"""Inventory service of the demo shop: products, stock and stock reservations.

Run it with ``python -m demo.shop.inventory --port 8081`` (or ``PORT=8081``).

Endpoints (writes need ``Authorization: Bearer $SHOP_API_TOKEN``):

* ``GET /health``
* ``GET /products``, ``GET /products/{sku}``, ``POST /products``
* ``GET /stock/{sku}``: a product's old address, moved for good to ``/products/{sku}``
* ``POST /reservations``, ``GET /reservations/{id}``, ``DELETE /reservations/{id}``

A reservation takes stock away atomically (the ``UPDATE`` only succeeds while
enough stock is left); releasing it gives the stock back.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pymysql

from demo.shop.common import (
    SKU_PATTERN,
    ApiError,
    BodyValidator,
    Request,
    Response,
    Row,
    health_route,
    parse_id,
    route,
    run,
    transaction,
)

APP = "inventory"
DEFAULT_PORT = 8081
MAX_PRICE = Decimal("99999999.99")  # DECIMAL(10,2)
ER_DUP_ENTRY = 1062

PRODUCT_COLUMNS = "sku, name, price, stock"
RESERVATION_COLUMNS = "id, sku, quantity, order_ref, status"


def product_json(row: Row) -> dict[str, Any]:
    return {
        "sku": row["sku"],
        "name": row["name"],
        "price": float(row["price"]),
        "stock": int(row["stock"]),
    }


def reservation_json(row: Row) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "sku": row["sku"],
        "quantity": int(row["quantity"]),
        "order_ref": row["order_ref"],
        "status": row["status"],
    }


def unknown_product(sku: str) -> ApiError:
    return ApiError(404, "unknown_product", f"unknown product {sku!r}")


def unknown_reservation(raw_id: str) -> ApiError:
    return ApiError(404, "unknown_reservation", f"unknown reservation {raw_id!r}")


# ------------------------------------------------------------------------- products


def list_products(_: Request) -> Response:
    with transaction() as cur:
        cur.execute(f"SELECT {PRODUCT_COLUMNS} FROM products ORDER BY sku")
        rows = cur.fetchall()
    return Response(200, {"items": [product_json(row) for row in rows]})


def get_product(request: Request) -> Response:
    sku = request.params["sku"]
    with transaction() as cur:
        cur.execute(f"SELECT {PRODUCT_COLUMNS} FROM products WHERE sku = %s", (sku,))
        row = cur.fetchone()
    if row is None:
        raise unknown_product(sku)
    return Response(200, product_json(row))


def moved_product(request: Request) -> Response:
    """The address products had before /products: a permanent redirect there."""
    where = f"/products/{quote(request.params['sku'], safe='')}"
    return Response(301, {"moved_to": where}, {"Location": where})


def create_product(request: Request) -> Response:
    fields = BodyValidator(request.json_object(), ("sku", "name", "price", "stock"))
    sku = fields.string("sku", max_length=32, pattern=SKU_PATTERN)
    name = fields.string("name", max_length=100)
    price = fields.money("price", maximum=MAX_PRICE)
    stock = fields.integer("stock", minimum=0)
    fields.finish()
    try:
        with transaction() as cur:
            cur.execute(
                "INSERT INTO products (sku, name, price, stock) VALUES (%s, %s, %s, %s)",
                (sku, name, price, stock),
            )
    except pymysql.err.IntegrityError as exc:
        if exc.args and exc.args[0] == ER_DUP_ENTRY:
            raise ApiError(409, "duplicate_product", f"product {sku!r} already exists") from None
        raise
    product = product_json({"sku": sku, "name": name, "price": price, "stock": stock})
    return Response(201, product, {"Location": f"/products/{quote(sku, safe='')}"})


# --------------------------------------------------------------------- reservations


def create_reservation(request: Request) -> Response:
    fields = BodyValidator(request.json_object(), ("sku", "quantity", "order_ref"))
    sku = fields.string("sku", max_length=32)
    quantity = fields.integer("quantity", minimum=1)
    order_ref = fields.string("order_ref", max_length=64)
    fields.finish()
    with transaction() as cur:
        cur.execute(
            "UPDATE products SET stock = stock - %s WHERE sku = %s AND stock >= %s",
            (quantity, sku, quantity),
        )
        if cur.rowcount != 1:
            cur.execute("SELECT stock FROM products WHERE sku = %s", (sku,))
            row = cur.fetchone()
            if row is None:
                raise unknown_product(sku)
            raise ApiError(409, "insufficient_stock", f"only {row['stock']} left")
        cur.execute(
            "INSERT INTO reservations (sku, quantity, order_ref, status)"
            " VALUES (%s, %s, %s, 'RESERVED')",
            (sku, quantity, order_ref),
        )
        reservation_id = int(cur.lastrowid)
    reservation = reservation_json(
        {
            "id": reservation_id,
            "sku": sku,
            "quantity": quantity,
            "order_ref": order_ref,
            "status": "RESERVED",
        }
    )
    return Response(201, reservation, {"Location": f"/reservations/{reservation_id}"})


def get_reservation(request: Request) -> Response:
    raw_id = request.params["id"]
    reservation_id = parse_id(raw_id)
    if reservation_id is None:
        raise unknown_reservation(raw_id)
    with transaction() as cur:
        cur.execute(
            f"SELECT {RESERVATION_COLUMNS} FROM reservations WHERE id = %s", (reservation_id,)
        )
        row = cur.fetchone()
    if row is None:
        raise unknown_reservation(raw_id)
    return Response(200, reservation_json(row))


def release_reservation(request: Request) -> Response:
    raw_id = request.params["id"]
    reservation_id = parse_id(raw_id)
    if reservation_id is None:
        raise unknown_reservation(raw_id)
    with transaction() as cur:
        cur.execute(
            f"SELECT {RESERVATION_COLUMNS} FROM reservations WHERE id = %s FOR UPDATE",
            (reservation_id,),
        )
        row = cur.fetchone()
        if row is None:
            raise unknown_reservation(raw_id)
        if row["status"] == "RELEASED":
            raise ApiError(
                409, "already_released", f"reservation {reservation_id} is already released"
            )
        cur.execute("UPDATE reservations SET status = 'RELEASED' WHERE id = %s", (reservation_id,))
        cur.execute(
            "UPDATE products SET stock = stock + %s WHERE sku = %s", (row["quantity"], row["sku"])
        )
    return Response(200, reservation_json({**row, "status": "RELEASED"}))


ROUTES = (
    health_route(APP),
    route("GET", "/products", list_products),
    route("POST", "/products", create_product, auth=True),
    route("GET", "/products/{sku}", get_product),
    route("GET", "/stock/{sku}", moved_product),
    route("POST", "/reservations", create_reservation, auth=True),
    route("GET", "/reservations/{id}", get_reservation),
    route("DELETE", "/reservations/{id}", release_reservation, auth=True),
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(APP, ROUTES, DEFAULT_PORT, argv, description=__doc__ or "")


if __name__ == "__main__":
    sys.exit(main())
