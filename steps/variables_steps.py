"""Steps for scenario variables."""

from behave import step

from interlock.step_types import register

register()


@step('the variable "{name:Quoted}" is "{value:Quoted}"')
def step_the_variable_is(context, name, value):
    context.variables.set(name, context.variables.substitute(value))
