"""Steps for a service's API contract as a whole: contract coverage and probing with
generated requests. Both stand in @serial scenarios (lint says so)."""

from behave import step

from interlock.api import contract_checks, needs_serial, register, table_headers, table_rows

register()


@step('every documented response of the "{name:Quoted}" API should have been seen')
@step('every documented response of the "{name:Quoted}" API should have been seen, except:')
@step('every documented response of the "{name:Quoted}" API should have been seen, except')
@needs_serial
@table_headers("operation", "status")
def step_every_documented_response_should_have_been_seen(context, name):
    """Checks that every status each operation of the service's OpenAPI document documents
    was answered to a request of this run so far (every worker's scenarios, the probing
    step's requests included); a failure lists the ones never seen, and any status answered
    that the document does not describe. The report shows the coverage table. With
    "except:", the responses in the table (operation | status, e.g. ``GET /health`` |
    ``503``; ``*`` for any) are not asked for: those no request can provoke here.
    """
    excused = []
    if getattr(context, "table", None) is not None:
        rows = table_rows(context, context.variables)
        excused = [(row["operation"], row["status"]) for row in rows]
    contract_checks.all_responses_seen(context, context.variables.substitute(name), excused)


@step('every operation of the "{name:Quoted}" API should keep its contract for generated requests')
@needs_serial
def step_every_operation_should_keep_its_contract(context, name):
    """Sends requests generated from the service's OpenAPI document to each of its operations
    (valid ones, and invalid ones that must be refused; config probing.*), and checks every
    answer against the document: no 5xx, no undocumented status, bodies and headers as
    documented. A failure shows each broken operation's smallest failing request as a curl
    line; the seed that repeats the probe is printed. Rows the service wrote in its
    writes_to databases are deleted after the scenario.
    """
    contract_checks.keeps_contract(context, context.variables.substitute(name))


@step(
    'every operation of the "{name:Quoted}" API should keep its contract for {n:IntOrVariable} generated requests'
)
@needs_serial
def step_every_operation_should_keep_its_contract_for_n(context, name, n):
    """Like the step above, with at most this many generated requests of each kind per
    operation.
    """
    count = context.variables.whole_number(n, "the number of generated requests")
    contract_checks.keeps_contract(context, context.variables.substitute(name), examples=count)


@step(
    'the operation "{operation:Quoted}" of the "{name:Quoted}" API should keep its contract for {n:IntOrVariable} generated requests'
)
@needs_serial
def step_the_operation_should_keep_its_contract(context, operation, name, n):
    """Probes one operation (``METHOD /path`` as the document writes it) with at most this
    many generated requests of each kind.
    """
    subst = context.variables.substitute
    count = context.variables.whole_number(n, "the number of generated requests")
    contract_checks.keeps_contract(context, subst(name), subst(operation), count)
