"""Domain steps for the demo shop: the business's words, built on interlock's generic
steps' library functions. Integration scenarios use these; interface scenarios keep
the generic vocabulary.

Each product and customer a scenario names is its own: SKUs and customer names carry
the scenario's ``${unique}`` token, and everything the scenario makes is removed
after it.
"""

from behave import step

from interlock.api import (
    db_checks,
    http_checks,
    reads,
    register,
    saves_variable,
    seeding,
    writes_data,
)

register()

# The products the scenarios speak of: their words -> SKU prefix, name, price.
CATALOGUE = {
    "desk lamp": ("LAMP", "Desk lamp", "19.90"),
    "mug": ("MUG", "Mug", "7.00"),
    "oak desk": ("DESK", "Oak desk", "249.00"),
}
# Why the orders service refuses an order, in words -> its error code.
REFUSALS = {
    "the shop does not have enough in stock": (409, "insufficient_stock"),
    "the shop does not sell it": (422, "unknown_product"),
}


def _product(words):
    """A product's words, singular or plural ("desk lamps"), as the CATALOGUE names it."""
    singular = words.strip().lower()
    for name in (singular, singular.removesuffix("s"), singular.removesuffix("es")):
        if name in CATALOGUE:
            return name
    raise LookupError(words)


# Lint checks a product or a refusal reason before a run, and the step catalog lists them.
register(
    "Product",
    _product,
    pattern=r"[a-z][a-z ]*?",
    values=lambda: sorted(CATALOGUE),
    noun="product",
    kind="a product of the shop, singular or plural",
)
register("Customer", pattern=r"[A-Z][a-z]+", noun="customer", kind="a customer's first name")
register(
    "Refusal",
    pattern=r".+",
    values=lambda: sorted(REFUSALS),
    noun="reason",
    kind="why the shop refuses an order",
)


def _sku(context, product):
    return f"{CATALOGUE[product][0]}-{context.variables.get('unique')}"


def _customer(context, name):
    return f"{name.lower()}-{context.variables.get('unique')}"


@step("the shop has {count:Int} {product:Product} in stock")
@writes_data
def step_the_shop_has_products_in_stock(context, count, product):
    """Seeds the product with that stock; it is removed after the scenario."""
    _, name, price = CATALOGUE[product]
    row = {"sku": _sku(context, product), "name": name, "price": price, "stock": str(count)}
    where = f"{context.feature.filename}:{context.scenario.line}"
    seeding.seed_rows(context.db.current(), "products", [row], [where], context.cleanup)


@step("the shop does not sell {product:Product}")
def step_the_shop_does_not_sell(context, product):
    """Nothing to set up: the scenario's SKU for that product exists nowhere."""


@step("{customer:Customer} orders {count:Int} {product:Product}")
@saves_variable("customer")
def step_customer_orders(context, customer, count, product):
    """Places the order through the orders service; the order, its outbox event and its
    notification are removed after the scenario."""
    db = context.db.current()
    who = _customer(context, customer)
    seeding.remove_after_scenario(db, "orders", {"customer": who}, context.cleanup)
    context.http.select("orders")
    exchange = context.http.send(
        "POST",
        "/orders",
        json_body={"customer": who, "sku": _sku(context, product), "quantity": count},
    )
    if exchange.response.status_code == 201:
        order_id = str(http_checks.field_value(context.http, "id"))
        seeding.remove_after_scenario(db, "notifications", {"order_id": order_id}, context.cleanup)
        seeding.remove_after_scenario(db, "outbox", {"order_id": order_id}, context.cleanup)
        context.variables.set(customer, order_id)


@step("{customer:Customer}'s order is confirmed")
@reads("API", "database")
def step_customers_order_is_confirmed(context, customer):
    """The customer's order was accepted and is recorded as confirmed."""
    http_checks.status_is(context.http, 201)
    db_checks.contains_rows(
        context.db.current(),
        "orders",
        [{"customer": _customer(context, customer), "status": "CONFIRMED"}],
    )


@step("{customer:Customer}'s order is refused because {reason:Refusal}")
@reads("API", "database")
def step_customers_order_is_refused(context, customer, reason):
    """The customer's order was refused for that reason and nothing was recorded."""
    status, code = REFUSALS[reason]
    http_checks.status_is(context.http, status)
    http_checks.field_is(context.http, "error", code)
    db_checks.row_count_is(
        context.db.current(), "orders", 0, "customer", _customer(context, customer)
    )


@step("the shop has {count:Int} {product:Product} left")
@reads("database")
def step_the_shop_has_products_left(context, count, product):
    """Checks the product's stock."""
    db_checks.contains_rows(
        context.db.current(), "products", [{"sku": _sku(context, product), "stock": str(count)}]
    )


@step("{customer:Customer} receives an e-mail confirming the order")
@reads("database")
def step_customer_receives_a_confirmation(context, customer):
    """Waits up to http.poll_timeout seconds for the notifications worker."""
    settings = context.interlock.config.http
    expected = {
        "order_id": str(context.variables.get(customer)),
        "customer": _customer(context, customer),
        "channel": "email",
        "message": "#regex Order ORD-[0-9A-F]+ confirmed: .*",
    }
    db_checks.eventually_contains_rows(
        context.db.current(),
        "notifications",
        [expected],
        settings.poll_timeout,
        settings.poll_interval,
    )
