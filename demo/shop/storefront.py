"""Storefront of the demo shop: the web pages a customer uses.

Run it with ``python -m demo.shop.storefront --port 8084`` (or ``PORT=8084``);
``INVENTORY_URL`` (default http://127.0.0.1:8081) and ``ORDERS_URL`` (default
http://127.0.0.1:8082) say where the services are, ``SHOP_API_TOKEN`` is the token
it places orders with, ``SHOP_TIMEOUT`` (seconds, default 5) how long it waits.

It is a client of the orders and inventory services like any other, and never
touches the database. Pages are rendered on the server; one script fills the
customer's orders in after the page has loaded. Fields have labels and buttons
their roles, so a person (and a test) finds them by what they read.

* ``GET /health``
* ``GET /shop``: products, stock, and the order form
* ``POST /shop/orders`` (form: ``customer``, ``sku``, ``quantity``): places the order;
  a confirmed one redirects (303) to its page, a refused one shows the shop again
  with the reason
* ``GET /shop/orders/{id}``: the confirmation
* ``GET /shop/orders?customer=NAME``: the customer's orders (the table is filled in
  by a script from ``GET /shop/api/orders?customer=NAME``)
"""

from __future__ import annotations

import html
import http.client
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, quote

from demo.shop.common import (
    ApiError,
    Request,
    Response,
    env_seconds,
    env_str,
    parse_id,
    route,
    run,
)

APP = "storefront"
DEFAULT_PORT = 8084
HTML = "text/html; charset=utf-8"
# The services run on 127.0.0.1: never send their requests through an HTTP(S)_PROXY.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Why the orders service refused, as a customer reads it.
REFUSALS = {
    "insufficient_stock": "Not enough in stock",
    "unknown_product": "We do not sell this product",
    "invalid_request": "Please check the order",
}

STYLE = """
body { font-family: sans-serif; margin: 2rem; color: #222; max-width: 52rem; }
table { border-collapse: collapse; margin: 1rem 0; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }
form { display: grid; grid-template-columns: 9rem 16rem; gap: .5rem; margin: 1rem 0; }
[role=alert] { border: 2px solid #b00; padding: .5rem; color: #b00; }
.confirmed { border: 2px solid #070; padding: .5rem; }
dt { font-weight: bold; } dd { margin: 0 0 .5rem 0; }
"""


def orders_url() -> str:
    return env_str("ORDERS_URL", "http://127.0.0.1:8082").rstrip("/")


def inventory_url() -> str:
    return env_str("INVENTORY_URL", "http://127.0.0.1:8081").rstrip("/")


def timeout() -> float:
    return env_seconds("SHOP_TIMEOUT", 5.0)


def call(method: str, url: str, payload: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One JSON request to a shop service: (status, body); unreachable is a 503 page."""
    request = urllib.request.Request(
        url,
        data=None if payload is None else json.dumps(payload).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {env_str('SHOP_API_TOKEN', '')}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        try:
            with _OPENER.open(request, timeout=timeout()) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"null")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ApiError(503, "service_unavailable", f"{url} unreachable: {exc}") from None


def page(title: str, body: str, status: int = 200) -> Response:
    document = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{html.escape(title)} - Demo shop</title>
<style>{STYLE}</style></head>
<body>
<header><a href="/shop">Demo shop</a></header>
<main>
<h1>{html.escape(title)}</h1>
{body}
</main>
</body>
</html>
"""
    return Response(status, document, content_type=HTML)


def _e(value: object) -> str:
    return html.escape(str(value))


# ---------------------------------------------------------------------------- pages


def shop(request: Request, alert: str = "", form: dict[str, str] | None = None) -> Response:
    status, body = call("GET", inventory_url() + "/products")
    products = body.get("items", []) if status == 200 and isinstance(body, dict) else []
    form = form or {}
    customer = form.get("customer") or (request.query.get("customer") or [""])[0]
    rows = "\n".join(
        f"<tr><td>{_e(p['name'])}</td><td>{_e(p['sku'])}</td>"
        f"<td>{p['price']:.2f}</td><td>{_e(p['stock'])}</td></tr>"
        for p in products
    )
    options = "\n".join(
        f'<option value="{_e(p["sku"])}"{" selected" if p["sku"] == form.get("sku") else ""}>'
        f"{_e(p['name'])} ({_e(p['sku'])})</option>"
        for p in products
    )
    shown_alert = f'<p role="alert">{_e(alert)}</p>' if alert else ""
    quantity = _e(form.get("quantity", "1"))
    body_html = f"""{shown_alert}
<table>
<caption>Products</caption>
<thead><tr><th>Product</th><th>Item number</th><th>Price</th><th>In stock</th></tr></thead>
<tbody>{rows}</tbody>
</table>
<h2>Place an order</h2>
<form method="post" action="/shop/orders">
  <label for="customer">Your name</label>
  <input id="customer" name="customer" required value="{_e(customer)}">
  <label for="sku">Product</label>
  <select id="sku" name="sku" required><option value="">Choose a product</option>{options}</select>
  <label for="quantity">Quantity</label>
  <input id="quantity" name="quantity" type="number" min="1" value="{quantity}">
  <span></span><button type="submit">Place order</button>
</form>
"""
    return page("Shop", body_html)


def place_order(request: Request) -> Response:
    fields = {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
    customer = fields.get("customer", "").strip()
    sku = fields.get("sku", "").strip()
    try:
        quantity = int(fields.get("quantity", ""))
    except ValueError:
        quantity = 0
    if not customer or not sku or quantity < 1:
        return shop(request, "Order refused: Please fill in your name, a product and a quantity",
                    fields)  # fmt: skip
    status, body = call(
        "POST", orders_url() + "/orders", {"customer": customer, "sku": sku, "quantity": quantity}
    )
    if status == 201 and isinstance(body, dict):
        return Response(303, "", {"Location": f"/shop/orders/{body['id']}"}, content_type=HTML)
    code = body.get("error", "") if isinstance(body, dict) else ""
    reason = REFUSALS.get(code, f"the shop could not take it (HTTP {status})")
    detail = body.get("message", "") if isinstance(body, dict) and code else ""
    return shop(request, f"Order refused: {reason}" + (f" ({detail})" if detail else ""), fields)


def confirmation(request: Request) -> Response:
    order_id = parse_id(request.params["id"])
    status, order = call("GET", f"{orders_url()}/orders/{order_id}") if order_id else (404, {})
    if status != 200 or not isinstance(order, dict):
        return page("No such order", "<p>We could not find this order.</p>", 404)
    mine = f"/shop/orders?customer={quote(order['customer'])}"
    return page(
        "Order confirmed",
        f"""<section class="confirmed" aria-label="Your order">
<dl>
  <dt id="ref-label">Order number</dt><dd aria-labelledby="ref-label">{_e(order["ref"])}</dd>
  <dt>Item number</dt><dd>{_e(order["sku"])}</dd>
  <dt>Quantity</dt><dd>{_e(order["quantity"])}</dd>
  <dt>Status</dt><dd>{_e(order["status"].capitalize())}</dd>
</dl>
</section>
<p><a href="{_e(mine)}">Your orders</a></p>""",
    )


def my_orders(request: Request) -> Response:
    customer = request.query_value("customer")
    script = """
const customer = new URLSearchParams(location.search).get('customer');
fetch('/shop/api/orders?customer=' + encodeURIComponent(customer))
  .then(r => r.json())
  .then(body => {
    const rows = document.querySelector('#orders tbody');
    for (const o of body.items) {
      const tr = document.createElement('tr');
      for (const v of [o.ref, o.sku, o.quantity, o.status[0] + o.status.slice(1).toLowerCase()]) {
        const td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
      }
      rows.appendChild(tr);
    }
    document.querySelector('#count').textContent = body.items.length + ' order(s)';
  })
  .catch(e => { console.error('could not load the orders', e); });
"""
    return page(
        "Your orders",
        f"""<p>Orders of {_e(customer)}: <span id="count" aria-live="polite">loading</span></p>
<table id="orders">
<caption>Your orders</caption>
<thead><tr><th>Order number</th><th>Item number</th><th>Quantity</th><th>Status</th></tr></thead>
<tbody></tbody>
</table>
<script>{script}</script>""",
    )


def orders_json(request: Request) -> Response:
    customer = request.query_value("customer")
    status, body = call("GET", f"{orders_url()}/orders?customer={quote(customer)}")
    return Response(status, body)


def health(_: Request) -> Response:
    return Response(200, {"status": "ok", "service": APP})


ROUTES = (
    route("GET", "/health", health),
    route("GET", "/shop", shop),
    route("POST", "/shop/orders", place_order),
    route("GET", "/shop/orders", my_orders),
    route("GET", "/shop/orders/{id}", confirmation),
    route("GET", "/shop/api/orders", orders_json),
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(
        APP,
        ROUTES,
        DEFAULT_PORT,
        argv,
        description=__doc__ or "",
        settings=(orders_url, inventory_url, timeout),
    )


if __name__ == "__main__":
    sys.exit(main())
