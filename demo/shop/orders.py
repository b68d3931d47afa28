"""Orders service of the demo shop: places orders by reserving stock in inventory.

Run it with ``python -m demo.shop.orders --port 8082`` (or ``PORT=8082``);
``INVENTORY_URL`` (default http://127.0.0.1:8081) says where inventory is and
``INVENTORY_TIMEOUT`` (seconds, default 5) how long to wait for it.

Endpoints (writes need ``Authorization: Bearer $SHOP_API_TOKEN``):

* ``GET /health``
* ``POST /orders``, ``GET /orders/{id}``, ``GET /orders?customer=NAME``

``POST /orders`` reserves the stock with ``POST {INVENTORY_URL}/reservations``
(same bearer token), then writes the order and an ``order.confirmed`` outbox
event in one transaction. When that write fails the reservation is released.
"""

from __future__ import annotations

import http.client
import json
import secrets
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from demo.shop.common import (
    ApiError,
    BodyValidator,
    Request,
    Response,
    Row,
    env_seconds,
    env_str,
    health_route,
    log,
    parse_id,
    route,
    run,
    transaction,
)

APP = "orders"
DEFAULT_PORT = 8082
ORDER_COLUMNS = "id, ref, customer, sku, quantity, status"

# Inventory runs on 127.0.0.1: never send its requests through an HTTP(S)_PROXY.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def inventory_url() -> str:
    return env_str("INVENTORY_URL", "http://127.0.0.1:8081").rstrip("/")


def inventory_timeout() -> float:
    return env_seconds("INVENTORY_TIMEOUT", 5.0)


def order_json(row: Row) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "ref": row["ref"],
        "customer": row["customer"],
        "sku": row["sku"],
        "quantity": int(row["quantity"]),
        "status": row["status"],
    }


# --------------------------------------------------------------- inventory client


class InventoryUnavailable(Exception):
    """Inventory could not be reached, timed out or sent something unreadable."""


@dataclass(frozen=True)
class InventoryReply:
    status: int
    body: dict[str, Any]


def call_inventory(
    method: str, path: str, token: str, payload: dict[str, Any] | None = None
) -> InventoryReply:
    """One JSON request to inventory; HTTP error statuses are returned, not raised."""
    request = urllib.request.Request(
        inventory_url() + path,
        data=None if payload is None else json.dumps(payload).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        try:
            with _OPENER.open(request, timeout=inventory_timeout()) as reply:
                return InventoryReply(reply.status, _json_object(reply.read()))
        except urllib.error.HTTPError as exc:
            with exc:
                return InventoryReply(exc.code, _json_object(exc.read()))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise InventoryUnavailable(f"{type(exc).__name__}: {exc}") from exc


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def reserve_stock(token: str, sku: str, quantity: int, ref: str) -> int:
    """Reserve stock for order ``ref``; the reservation id, or the error to answer with."""
    payload = {"sku": sku, "quantity": quantity, "order_ref": ref}
    try:
        reply = call_inventory("POST", "/reservations", token, payload)
    except InventoryUnavailable as exc:
        raise ApiError(503, "inventory_unavailable", f"inventory unreachable: {exc}") from None
    error = reply.body.get("error")
    message = reply.body.get("message")
    reservation_id = reply.body.get("id")
    if reply.status == 201 and isinstance(reservation_id, int):
        return reservation_id
    if reply.status == 404 and error == "unknown_product":
        raise ApiError(422, "unknown_product", f"unknown product {sku!r}")
    if reply.status == 409 and error == "insufficient_stock":
        text = message if isinstance(message, str) else f"not enough stock of {sku!r}"
        raise ApiError(409, "insufficient_stock", text)
    raise ApiError(
        503, "inventory_unavailable", f"inventory answered HTTP {reply.status} ({error or '-'})"
    )


def release_stock(token: str, reservation_id: int) -> None:
    """Best effort: give a reservation back after the order could not be stored."""
    try:
        reply = call_inventory("DELETE", f"/reservations/{reservation_id}", token)
    except InventoryUnavailable as exc:
        log(APP, f"could not release reservation {reservation_id}: {exc}")
        return
    if reply.status != 200:
        log(APP, f"could not release reservation {reservation_id}: HTTP {reply.status}")


# ------------------------------------------------------------------------ handlers


def store_order(ref: str, customer: str, sku: str, quantity: int, reservation_id: int) -> int:
    """Insert the order and its ``order.confirmed`` outbox event in one transaction."""
    with transaction() as cur:
        cur.execute(
            "INSERT INTO orders (ref, customer, sku, quantity, status, reservation_id)"
            " VALUES (%s, %s, %s, %s, 'CONFIRMED', %s)",
            (ref, customer, sku, quantity, reservation_id),
        )
        order_id = int(cur.lastrowid)
        event = {
            "order_id": order_id,
            "customer": customer,
            "sku": sku,
            "quantity": quantity,
            "ref": ref,
        }
        cur.execute(
            "INSERT INTO outbox (event_type, order_id, payload) VALUES (%s, %s, %s)",
            ("order.confirmed", order_id, json.dumps(event)),
        )
    return order_id


def create_order(request: Request) -> Response:
    fields = BodyValidator(request.json_object(), ("customer", "sku", "quantity"))
    customer = fields.string("customer", max_length=100)
    sku = fields.string("sku", max_length=32)
    quantity = fields.integer("quantity", minimum=1)
    fields.finish()
    token = request.bearer_token or ""  # the route's auth check already accepted it
    ref = "ORD-" + secrets.token_hex(5).upper()
    reservation_id = reserve_stock(token, sku, quantity, ref)
    try:
        order_id = store_order(ref, customer, sku, quantity, reservation_id)
    except Exception:
        release_stock(token, reservation_id)
        raise
    order = order_json(
        {
            "id": order_id,
            "ref": ref,
            "customer": customer,
            "sku": sku,
            "quantity": quantity,
            "status": "CONFIRMED",
        }
    )
    return Response(201, order, {"Location": f"/orders/{order_id}"})


def get_order(request: Request) -> Response:
    raw_id = request.params["id"]
    order_id = parse_id(raw_id)
    row: Row | None = None
    if order_id is not None:
        with transaction() as cur:
            cur.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = %s", (order_id,))
            row = cur.fetchone()
    if row is None:
        raise ApiError(404, "unknown_order", f"unknown order {raw_id!r}")
    return Response(200, order_json(row))


def list_orders(request: Request) -> Response:
    customer = request.query_value("customer")
    with transaction() as cur:
        cur.execute(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE customer = %s ORDER BY id", (customer,)
        )
        rows = cur.fetchall()
    return Response(200, {"items": [order_json(row) for row in rows]})


ROUTES = (
    health_route(APP),
    route("POST", "/orders", create_order, auth=True),
    route("GET", "/orders", list_orders),
    route("GET", "/orders/{id}", get_order),
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(
        APP,
        ROUTES,
        DEFAULT_PORT,
        argv,
        description=__doc__ or "",
        settings=(inventory_url, inventory_timeout),
    )


if __name__ == "__main__":
    sys.exit(main())
