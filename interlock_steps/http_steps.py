"""Steps for HTTP APIs: choose a service, build and send requests, check and save responses."""

from behave import step

from interlock.api import (
    data_file,
    doc_json,
    http_checks,
    json_argument,
    json_doc_string,
    json_file,
    name_value_rows,
    register,
    saves_variable,
    shown,
    table_headers,
)

register()


# -- the request -----------------------------------------------------------------------------


@step('the "{name:Quoted}" service')
def step_the_service(context, name):
    """Later requests go to this configured service, with its address, default headers and
    credentials.
    """
    context.http.select(context.variables.substitute(name))


@step('the request header "{name:Quoted}" is "{value:Quoted}"')
def step_the_request_header_is(context, name, value):
    """Adds a header to every later request of the scenario."""
    subst = context.variables.substitute
    context.http.add_headers([(subst(name), subst(value))])


@step("the request headers:")
@step("the request headers")
@table_headers("name", "value")
def step_the_request_headers(context):
    """Adds the headers of the table (name | value) to every later request."""
    context.http.add_headers(name_value_rows(context, context.variables, "request headers"))


@step("the request query parameters:")
@step("the request query parameters")
@table_headers("name", "value")
def step_the_request_query_parameters(context):
    """Adds the query parameters of the table (name | value) to every later request."""
    context.http.add_query(name_value_rows(context, context.variables, "query parameters"))


@step('the request query parameter "{name:Quoted}" is "{value:Quoted}"')
def step_the_request_query_parameter_is(context, name, value):
    """Adds one query parameter to every later request."""
    subst = context.variables.substitute
    context.http.add_query([(subst(name), subst(value))])


@step('the request uses the "{name:Quoted}" credentials')
def step_the_request_uses_the_credentials(context, name):
    """Later requests use this credentials profile from config (a bearer token, basic auth, an
    API key, or a token fetched by a login or OAuth2 call).
    """
    profiles = context.interlock.config.credentials
    context.http.use_credentials(context.variables.substitute(name), profiles)


@step("the request has no credentials")
@step("the request uses no credentials")
def step_the_request_has_no_credentials(context):
    """Later requests carry no credentials: for checking that the service refuses them."""
    context.http.drop_credentials()


# -- sending ---------------------------------------------------------------------------------


@step('I send a {method:Method} request to "{path:Quoted}"')
def step_i_send_a_request(context, method, path):
    """Sends a request to the current service. A failure to connect or a timeout shows the call
    and a curl line that repeats it.
    """
    context.http.send(method, context.variables.substitute(path))


@step('I send a {method:Method} request to "{path:Quoted}" with JSON:')
@step('I send a {method:Method} request to "{path:Quoted}" with JSON')
@json_doc_string
def step_i_send_a_request_with_json(context, method, path):
    """Sends the doc string below the step as the JSON body."""
    body = doc_json(context, context.variables, "the JSON body")
    context.http.send(method, context.variables.substitute(path), json_body=body)


@step('I send a {method:Method} request to "{path:Quoted}" with the JSON file "{file:Quoted}"')
def step_i_send_a_request_with_the_json_file(context, method, path, file):
    """Sends a JSON file from the data folder as the body, with ${variables} filled in."""
    location = data_file(context, context.variables.substitute(file))
    body = json_file(location, context.variables, f"the JSON file {shown(location)}")
    context.http.send(method, context.variables.substitute(path), json_body=body)


@step('I send a {method:Method} request to "{path:Quoted}" with form data:')
@step('I send a {method:Method} request to "{path:Quoted}" with form data')
@table_headers("name", "value")
def step_i_send_a_request_with_form_data(context, method, path):
    """Sends the table (name | value) as an HTML form."""
    form = name_value_rows(context, context.variables, "form data")
    context.http.send(method, context.variables.substitute(path), form=form)


@step(
    'I send a {method:Method} request to "{path:Quoted}" until the response field "{field:Quoted}" is {expected:Json}'
)
@step(
    'I send a {method:Method} request to "{path:Quoted}" until the response field "{field:Quoted}" is {expected:Json} within {seconds:IntOrVariable} seconds'
)
@step(
    'I send a {method:Method} request to "{path:Quoted}" until the response field "{field:Quoted}" is {expected:Json} within {seconds:IntOrVariable} second'
)
def step_i_send_a_request_until(context, method, path, field, expected, seconds=None):
    """Sends the request again and again (at http.poll_interval) until the response field has
    the value, or the time limit runs out; a failure shows the last response.
    """
    variables = context.variables
    settings = context.interlock.config.http
    field = variables.substitute(field)
    value = json_argument(expected, variables, f"the expected value of {field!r}")
    timeout = settings.poll_timeout
    if seconds is not None:
        timeout = variables.whole_number(seconds, "the time limit")
    path = variables.substitute(path)
    http_checks.send_until(
        context.http, method, path, field, value, timeout, settings.poll_interval
    )


# -- checking the response -------------------------------------------------------------------


@step("the response status should be {status:IntOrVariable}")
def step_the_response_status_should_be(context, status):
    """Checks the status code of the last response."""
    expected = context.variables.whole_number(status, "the expected status")
    http_checks.status_is(context.http, expected)


@step('the response header "{name:Quoted}" should be "{value:Quoted}"')
def step_the_response_header_should_be(context, name, value):
    """Checks a header of the last response (for Content-Type only the media type is compared)."""
    subst = context.variables.substitute
    http_checks.header_is(context.http, subst(name), subst(value))


@step('the response header "{name:Quoted}" should contain "{part:Quoted}"')
def step_the_response_header_should_contain(context, name, part):
    """Checks that a header of the last response contains the text."""
    subst = context.variables.substitute
    http_checks.header_contains(context.http, subst(name), subst(part))


@step('the response field "{path:Quoted}" should be {expected:Json}')
def step_the_response_field_should_be(context, path, expected):
    """Checks one field of the JSON response, found by a path such as items[0].sku; the value
    may be a marker such as "#uuid". A path that finds nothing says which keys exist where
    it stopped.
    """
    value = json_argument(expected, context.variables, f"the expected value of {path!r}")
    http_checks.field_is(context.http, context.variables.substitute(path), value)


@step("the response should match:")
@step("the response should match")
@step("the response body should match:")
@step("the response body should match")
@json_doc_string
def step_the_response_should_match(context):
    """The whole JSON response equals the doc string: unexpected keys fail, arrays compare in
    order, markers allowed. Every difference is listed with its path.
    """
    http_checks.body_matches(context.http, doc_json(context, context.variables))


@step("the response should contain:")
@step("the response should contain")
@step("the response body should contain:")
@step("the response body should contain")
@json_doc_string
def step_the_response_should_contain(context):
    """The JSON response contains at least the doc string: extra keys are fine at any depth and
    array items are found in any order.
    """
    http_checks.body_contains(context.http, doc_json(context, context.variables))


@step('each item of the response field "{path:Quoted}" should match:')
@step('each item of the response field "{path:Quoted}" should match')
@step('every item of the response field "{path:Quoted}" should match:')
@step('every item of the response field "{path:Quoted}" should match')
@json_doc_string
def step_each_item_of_the_response_field_should_match(context, path):
    """Every item of the array field matches the doc string (markers allowed)."""
    expected = doc_json(context, context.variables, "the expected item")
    http_checks.each_item_matches(context.http, context.variables.substitute(path), expected)


@step('the response should match the JSON schema "{file:Quoted}"')
def step_the_response_should_match_the_json_schema(context, file):
    """The JSON response is valid against a JSON Schema file from the data folder."""
    location = data_file(context, context.variables.substitute(file))
    source = shown(location)
    schema = json_file(location, context.variables, f"the JSON schema {source}")
    http_checks.matches_schema(context.http, schema, source)


@step("the response should conform to the API contract")
def step_the_response_should_conform_to_the_api_contract(context):
    """The response (status, headers, body) is what the service's OpenAPI document promises for
    this operation and status. The request is not checked, so deliberately bad requests can
    be tested. An undocumented operation or status fails.
    """
    http_checks.conforms_to_contract(context.http)


@step("the response time should be under {limit:IntOrVariable} ms")
@step("the response time should be under {limit:IntOrVariable} milliseconds")
def step_the_response_time_should_be_under(context, limit):
    """The last response came within the time limit."""
    milliseconds = context.variables.whole_number(limit, "the time limit")
    http_checks.responded_within(context.http, milliseconds)


# -- saving ----------------------------------------------------------------------------------


@step('I save the response field "{path:Quoted}" as "{name:Quoted}"')
@saves_variable("name")
def step_i_save_the_response_field(context, path, name):
    """Keeps a field of the JSON response as a scenario variable, for later steps as ${name}."""
    value = http_checks.field_value(context.http, context.variables.substitute(path))
    context.variables.set(context.variables.substitute(name), value)


@step('I save the response header "{header:Quoted}" as "{name:Quoted}"')
@saves_variable("name")
def step_i_save_the_response_header(context, header, name):
    """Keeps a header of the last response as a scenario variable."""
    value = http_checks.header_value(context.http, context.variables.substitute(header))
    context.variables.set(context.variables.substitute(name), value)


@step('the "{name:Quoted}" service should be reachable')
def step_the_service_should_be_reachable(context, name):
    """The service answers its health path (config services.NAME.health) with a 2xx status: an
    interface check of the connection itself.
    """
    target = context.http.select(context.variables.substitute(name))
    health = context.interlock.config.services[target.name].health
    http_checks.reachable(context.http, target, health)
