"""Steps for stand-ins: replace a configured service by a double, set its answers, and
check what the system under test sent it."""

from behave import step

from interlock.api import (
    MISSING,
    doc_json,
    json_doc_string,
    register,
    standin_checks,
    step_location,
)

register()


# -- replacing a service ---------------------------------------------------------------------


@step('the "{name:Quoted}" service is replaced by a stand-in')
def step_the_service_is_replaced_by_a_stand_in(context, name):
    """A stand-in HTTP server takes the service's place in this scenario: this scenario's own
    requests to it, and services configured to talk to its stand-in (per_worker ones), reach
    the stand-in, which answers only what the scenario tells it to. Shared services keep using
    the real one.
    """
    name = context.variables.substitute(name)
    standin = context.interlock.standins.replace(name)
    context.http.redirect(name, standin.url)


@step('the stand-in "{name:Quoted}" may answer outside its API contract')
def step_the_stand_in_may_answer_outside_its_api_contract(context, name):
    """Later answers of the stand-in are not refused when the replaced service's contract does
    not allow them (an undocumented 500, say); the report still lists how they break it.
    """
    context.interlock.standins.allow_outside_contract(context.variables.substitute(name))


@step('the stand-in "{name:Quoted}" may receive requests outside its API contract')
def step_the_stand_in_may_receive_requests_outside_its_api_contract(context, name):
    """Requests the system under test sends the stand-in later in the scenario do not fail it
    when the replaced service's contract does not allow them (when the scenario checks how the
    caller copes with its own mistake, say); the report still shows how they break it.
    """
    context.interlock.standins.allow_requests_outside_contract(context.variables.substitute(name))


@step('the stand-in "{name:Quoted}" answer header "{header:Quoted}" is "{value:Quoted}"')
def step_the_stand_in_answer_header_is(context, name, header, value):
    """Every answer set later in the scenario for this stand-in carries the header (a Location
    its contract requires, say).
    """
    subst = context.variables.substitute
    context.interlock.standins.add_answer_header(subst(name), subst(header), subst(value))


# -- its answers -----------------------------------------------------------------------------


def _answer(context, name, method, path, status, delay, body=MISSING):
    variables = context.variables
    context.interlock.standins.answer(
        variables.substitute(name),
        method,
        variables.substitute(path),
        variables.whole_number(status, "the status"),
        body,
        variables.whole_number(delay, "the delay") if delay is not None else 0,
        step_location(context),
    )


@step(
    'the stand-in "{name:Quoted}" answers {method:Method} "{path:Quoted}" with status {status:IntOrVariable}'
)
@step(
    'the stand-in "{name:Quoted}" answers {method:Method} "{path:Quoted}" with status {status:IntOrVariable} after a delay of {delay:IntOrVariable} ms'
)
def step_the_stand_in_answers(context, name, method, path, status, delay=None):
    """From now on in this scenario the stand-in answers such requests with the status and no
    body (after the delay, if one is given). The answer is refused unless the replaced
    service's API contract documents it. A path may name a segment as a template
    ("/reservations/{id}" answers a request to any one reservation); an exact path wins.
    """
    _answer(context, name, method, path, status, delay)


@step(
    'the stand-in "{name:Quoted}" answers {method:Method} "{path:Quoted}" with status {status:IntOrVariable} and JSON:'
)
@step(
    'the stand-in "{name:Quoted}" answers {method:Method} "{path:Quoted}" with status {status:IntOrVariable} and JSON'
)
@step(
    'the stand-in "{name:Quoted}" answers {method:Method} "{path:Quoted}" with status {status:IntOrVariable} with JSON:'
)
@step(
    'the stand-in "{name:Quoted}" answers {method:Method} "{path:Quoted}" with status {status:IntOrVariable} with JSON'
)
@step(
    'the stand-in "{name:Quoted}" answers {method:Method} "{path:Quoted}" with status {status:IntOrVariable} and JSON after a delay of {delay:IntOrVariable} ms:'
)
@step(
    'the stand-in "{name:Quoted}" answers {method:Method} "{path:Quoted}" with status {status:IntOrVariable} and JSON after a delay of {delay:IntOrVariable} ms'
)
@json_doc_string
def step_the_stand_in_answers_with_json(context, name, method, path, status, delay=None):
    """Like the answer without a body, with the doc string as its JSON body. It is checked
    against the contract (status, headers, body) before the stand-in takes it; a refusal names
    each rule it breaks.
    """
    body = doc_json(context, context.variables, "the stand-in's JSON answer")
    _answer(context, name, method, path, status, delay, body)


# -- what it received ------------------------------------------------------------------------


def _received(context, name, count, method, path, expected=MISSING):
    subst = context.variables.substitute
    standins = context.interlock.standins
    name = subst(name)
    standin = standins.require(name)
    standins.attach_new()
    standin_checks.check_received(
        name,
        standin.traffic(),
        method,
        subst(path),
        context.variables.whole_number(count, "the number of requests"),
        expected,
    )


@step(
    'the stand-in "{name:Quoted}" should have received {count:IntOrVariable} {method:Method} request to "{path:Quoted}"'
)
@step(
    'the stand-in "{name:Quoted}" should have received {count:IntOrVariable} {method:Method} requests to "{path:Quoted}"'
)
def step_the_stand_in_should_have_received(context, name, count, method, path):
    """Counts the requests the stand-in received in this scenario with that method and path (a
    path with a query compares the query too; "/reservations/{id}" counts requests to any one
    reservation). A failure lists everything it received.
    """
    _received(context, name, count, method, path)


@step(
    'the stand-in "{name:Quoted}" should have received {count:IntOrVariable} {method:Method} request to "{path:Quoted}" with JSON:'
)
@step(
    'the stand-in "{name:Quoted}" should have received {count:IntOrVariable} {method:Method} request to "{path:Quoted}" with JSON'
)
@step(
    'the stand-in "{name:Quoted}" should have received {count:IntOrVariable} {method:Method} requests to "{path:Quoted}" with JSON:'
)
@step(
    'the stand-in "{name:Quoted}" should have received {count:IntOrVariable} {method:Method} requests to "{path:Quoted}" with JSON'
)
@json_doc_string
def step_the_stand_in_should_have_received_with_json(context, name, count, method, path):
    """Counts the requests whose JSON body matches the doc string as a response's would: the
    whole body, markers allowed, unexpected keys fail. A failure shows every mismatch of each
    request.
    """
    expected = doc_json(context, context.variables, "the expected JSON request")
    _received(context, name, count, method, path, expected)
