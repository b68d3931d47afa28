"""Steps for scenario variables."""

from behave import step

from interlock.lint import saves_variable
from interlock.step_types import register

register()


@step('the variable "{name:Quoted}" is "{value:Quoted}"')
@saves_variable("name")
def step_the_variable_is(context, name, value):
    """Sets a scenario variable, for later steps as ${name}."""
    context.variables.set(name, context.variables.substitute(value))
