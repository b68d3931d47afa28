"""Steps for scenario variables."""

from behave import step

from interlock.api import register, saves_variable

register()


@step('the variable "{name:Quoted}" is "{value:Quoted}"')
@saves_variable("name")
def step_the_variable_is(context, name, value):
    """Sets a scenario variable, for later steps as ${name}."""
    context.variables.set(name, context.variables.substitute(value))
