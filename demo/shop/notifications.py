"""Notifications service of the demo shop: turns outbox events into e-mail notifications.

Run it with ``python -m demo.shop.notifications --port 8083`` (or ``PORT=8083``).

A background thread polls the ``outbox`` table every ``NOTIFY_POLL_INTERVAL``
seconds (default 0.2). For each unprocessed ``order.confirmed`` event it writes
one ``notifications`` row ("Order <ref> confirmed: <quantity> x <sku>") and marks
the event processed, both in one transaction; the guarded ``UPDATE`` makes two
workers never notify twice. Database outages are logged and retried.

Endpoints: ``GET /health``, ``GET /notifications?order_id=N``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from demo.shop.common import (
    POLL_BATCH,
    Cursor,
    Request,
    Response,
    Row,
    env_seconds,
    health_route,
    invalid_request,
    log,
    parse_id,
    polling_worker,
    route,
    run,
    transaction,
)

APP = "notifications"
DEFAULT_PORT = 8083


def poll_interval() -> float:
    return env_seconds("NOTIFY_POLL_INTERVAL", 0.2)


def notification_json(row: Row) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "order_id": int(row["order_id"]),
        "customer": row["customer"],
        "channel": row["channel"],
        "message": row["message"],
    }


# ------------------------------------------------------------------------- outbox


def order_confirmed_message(payload: Any) -> tuple[str, str]:
    """Customer and message text for an ``order.confirmed`` payload (else TypeError, ValueError)."""
    if not isinstance(payload, dict):
        raise TypeError("payload is not a JSON object")
    ref, sku, customer = payload.get("ref"), payload.get("sku"), payload.get("customer")
    quantity = payload.get("quantity")
    if not all(isinstance(v, str) for v in (ref, sku, customer)) or not isinstance(quantity, int):
        raise ValueError("payload lacks ref, sku, customer or quantity")
    return str(customer)[:100], f"Order {ref} confirmed: {quantity} x {sku}"[:255]


def handle_event(cur: Cursor, event: Row) -> None:
    """Claim one outbox event and write its notification (same transaction)."""
    cur.execute(
        "UPDATE outbox SET processed_at = CURRENT_TIMESTAMP WHERE id = %s AND processed_at IS NULL",
        (event["id"],),
    )
    if cur.rowcount != 1:
        return  # another worker claimed it first
    if event["event_type"] != "order.confirmed":
        log(APP, f"outbox event {event['id']}: ignoring event type {event['event_type']!r}")
        return
    try:
        customer, message = order_confirmed_message(json.loads(event["payload"]))
    except (TypeError, ValueError) as exc:
        log(APP, f"outbox event {event['id']}: skipping unreadable payload ({exc})")
        return
    cur.execute(
        "INSERT INTO notifications (order_id, customer, channel, message)"
        " VALUES (%s, %s, 'email', %s)",
        (event["order_id"], customer, message),
    )
    log(APP, f"outbox event {event['id']}: e-mail to {customer!r}: {message}")


def process_outbox() -> int:
    """Handle the pending outbox events, one transaction each; how many were seen."""
    with transaction() as cur:
        cur.execute(
            "SELECT id, event_type, order_id, payload FROM outbox"
            " WHERE processed_at IS NULL ORDER BY id LIMIT %s",
            (POLL_BATCH,),
        )
        events = cur.fetchall()
    for event in events:
        with transaction() as cur:
            handle_event(cur, event)
    return len(events)


# ------------------------------------------------------------------------ handlers


def list_notifications(request: Request) -> Response:
    order_id = parse_id(request.query_value("order_id"))
    if order_id is None:
        raise invalid_request("query parameter 'order_id' must be a positive integer")
    with transaction() as cur:
        cur.execute(
            "SELECT id, order_id, customer, channel, message FROM notifications"
            " WHERE order_id = %s ORDER BY id",
            (order_id,),
        )
        rows = cur.fetchall()
    return Response(200, {"items": [notification_json(row) for row in rows]})


ROUTES = (
    health_route(APP),
    route("GET", "/notifications", list_notifications),
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(
        APP,
        ROUTES,
        DEFAULT_PORT,
        argv,
        description=__doc__ or "",
        workers=(polling_worker(APP, poll_interval, process_outbox),),
        settings=(poll_interval,),
    )


if __name__ == "__main__":
    sys.exit(main())
