"""Steps for web pages in a real browser: open a page, fill in, choose, click, see.

Things are found by what a person reads: a field by its label, a button or link by its
text, a table by its caption or the header of its first column. Every step waits for
what it needs up to ``browser.timeout`` seconds; none sleeps. Each attaches a
screenshot to its step in the report (``browser.screenshots: failures`` keeps only
those of failed steps).
"""

from behave import step

from interlock.api import pages, register, saves_variable, table_rows, takes_table

register()


# -- where ------------------------------------------------------------------------------------


@step('the "{service:Quoted}" page "{path:Quoted}"')
def step_the_service_page(context, service, path):
    """Opens the page at that path of a configured service (its address from the config)."""
    subst = context.variables.substitute
    pages.open(context.browser, subst(service), subst(path))


@step('I open the page "{path:Quoted}" of the "{service:Quoted}" service')
def step_i_open_the_page_of_the_service(context, path, service):
    """Opens the page at that path of a configured service."""
    subst = context.variables.substitute
    pages.open(context.browser, subst(service), subst(path))


# -- acting -----------------------------------------------------------------------------------


@step('I fill in "{label:Quoted}" with "{value:Quoted}"')
def step_i_fill_in_with(context, label, value):
    """Types the value into the field with that label (or placeholder). A value that is a
    secret is painted over in every screenshot and masked in every text."""
    subst = context.variables.substitute
    pages.fill(context.browser, subst(label), subst(value))


@step('I choose "{option:Quoted}" from "{label:Quoted}"')
def step_i_choose_from(context, option, label):
    """Chooses the option reading that text in the list with that label."""
    subst = context.variables.substitute
    pages.choose(context.browser, subst(option), subst(label))


@step('I click "{text:Quoted}"')
def step_i_click(context, text):
    """Clicks the button or link reading that text; none or several fail, naming them."""
    pages.click(context.browser, context.variables.substitute(text))


# -- seeing -----------------------------------------------------------------------------------


@step('I should see "{text:Quoted}"')
def step_i_should_see(context, text):
    """The text is shown on the page (waiting up to browser.timeout seconds); showing it
    twice is fine."""
    pages.sees(context.browser, context.variables.substitute(text))


@step('I should not see "{text:Quoted}"')
def step_i_should_not_see(context, text):
    """Once the page has settled (no request pending, nothing changing), the text is not
    shown; fails as soon as it appears."""
    pages.does_not_see(context.browser, context.variables.substitute(text))


@step('within {seconds:IntOrVariable} seconds I should see "{text:Quoted}"')
@step('within {seconds:IntOrVariable} second I should see "{text:Quoted}"')
def step_within_seconds_i_should_see(context, seconds, text):
    """The text is shown within that many seconds: for what the system does later."""
    limit = context.variables.whole_number(seconds, "the number of seconds")
    pages.sees(context.browser, context.variables.substitute(text), limit)


@step('the table "{caption:Quoted}" should show:')
@step('the table "{caption:Quoted}" should show')
@takes_table
def step_the_table_should_show(context, caption):
    """Every row of the step's table is shown in the page's table with that caption (or
    first column header); the header names the columns compared, by their titles."""
    rows = table_rows(context, context.variables)
    pages.table_shows(context.browser, context.variables.substitute(caption), rows)


# -- keeping ----------------------------------------------------------------------------------


@step('I save the text of "{label:Quoted}" as "{name:Quoted}"')
@saves_variable("name")
def step_i_save_the_text_of_as(context, label, name):
    """Saves the text shown next to that label (a field's value, or what follows it)."""
    subst = context.variables.substitute
    context.variables.set(subst(name), pages.text_of(context.browser, subst(label)))


@step('I take a screenshot named "{name:Quoted}"')
def step_i_take_a_screenshot_named(context, name):
    """Attaches a screenshot of the page to the report under that name."""
    pages.screenshot(context.browser, context.variables.substitute(name))
