"""Steps for HTTP APIs: choose a service, send requests, check and save responses."""

from behave import step

from interlock import http_checks
from interlock.gherkin import doc_json, json_argument
from interlock.step_types import register

register()


@step('the "{name:Quoted}" service')
def step_the_service(context, name):
    context.http.select(context.variables.substitute(name))


@step('the request header "{name:Quoted}" is "{value:Quoted}"')
def step_the_request_header_is(context, name, value):
    context.http.headers[context.variables.substitute(name)] = context.variables.substitute(value)


@step("the request has no credentials")
def step_the_request_has_no_credentials(context):
    context.http.anonymous = True


@step('I send a {method:Method} request to "{path:Quoted}"')
def step_i_send_a_request(context, method, path):
    context.http.send(method, context.variables.substitute(path))


@step('I send a {method:Method} request to "{path:Quoted}" with JSON:')
@step('I send a {method:Method} request to "{path:Quoted}" with JSON')
def step_i_send_a_request_with_json(context, method, path):
    body = doc_json(context, context.variables, "the JSON body")
    context.http.send(method, context.variables.substitute(path), json_body=body)


@step("the response status should be {status:Int}")
def step_the_response_status_should_be(context, status):
    http_checks.status_is(context.http, status)


@step('the response field "{path:Quoted}" should be {expected:Json}')
def step_the_response_field_should_be(context, path, expected):
    value = json_argument(expected, context.variables, f"the expected value of {path!r}")
    http_checks.field_is(context.http, context.variables.substitute(path), value)


@step("the response should match:")
@step("the response should match")
def step_the_response_should_match(context):
    http_checks.body_matches(context.http, doc_json(context, context.variables))


@step("the response should contain:")
@step("the response should contain")
def step_the_response_should_contain(context):
    http_checks.body_contains(context.http, doc_json(context, context.variables))


@step('I save the response field "{path:Quoted}" as "{name:Quoted}"')
def step_i_save_the_response_field(context, path, name):
    value = http_checks.field_value(context.http, context.variables.substitute(path))
    context.variables.set(name, value)


@step('the "{name:Quoted}" service should be reachable')
def step_the_service_should_be_reachable(context, name):
    target = context.http.select(context.variables.substitute(name))
    health = context.interlock.config.services[target.name].health
    http_checks.reachable(context.http, target, health)
