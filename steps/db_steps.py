"""Steps for MySQL/MariaDB databases: choose one, check tables and queries."""

from behave import step

from interlock import db_checks, seeding
from interlock.gherkin import data_file, table_rows, table_sources
from interlock.step_types import register

register()


@step('the "{name:Quoted}" database')
def step_the_database(context, name):
    context.db.select(context.variables.substitute(name))


@step('the table "{table:Quoted}" should contain:')
@step('the table "{table:Quoted}" should contain')
def step_the_table_should_contain(context, table):
    rows = table_rows(context, context.variables)
    db_checks.contains_rows(context.db.current(), context.variables.substitute(table), rows)


@step('the table "{table:Quoted}" should not contain:')
@step('the table "{table:Quoted}" should not contain')
def step_the_table_should_not_contain(context, table):
    rows = table_rows(context, context.variables)
    db_checks.lacks_rows(context.db.current(), context.variables.substitute(table), rows)


@step('within {seconds:Int} seconds the table "{table:Quoted}" should contain:')
@step('within {seconds:Int} seconds the table "{table:Quoted}" should contain')
def step_within_seconds_the_table_should_contain(context, seconds, table):
    rows = table_rows(context, context.variables)
    interval = context.interlock.config.http.poll_interval
    db_checks.eventually_contains_rows(
        context.db.current(), context.variables.substitute(table), rows, seconds, interval
    )


@step('the table "{table:Quoted}" should have {count:Int} rows')
@step('the table "{table:Quoted}" should have {count:Int} row')
def step_the_table_should_have_rows(context, table, count):
    db_checks.row_count_is(context.db.current(), context.variables.substitute(table), count)


@step(
    'the table "{table:Quoted}" should have {count:Int} rows where "{column:Quoted}" is "{value:Quoted}"'
)
@step(
    'the table "{table:Quoted}" should have {count:Int} row where "{column:Quoted}" is "{value:Quoted}"'
)
def step_the_table_should_have_rows_where(context, table, count, column, value):
    subst = context.variables.substitute
    db_checks.row_count_is(context.db.current(), subst(table), count, subst(column), subst(value))


@step('the query "{sql:Quoted}" should return:')
@step('the query "{sql:Quoted}" should return')
def step_the_query_should_return(context, sql):
    statement, params = context.variables.split_for_sql(sql)
    rows = table_rows(context, context.variables)
    db_checks.query_returns(context.db.current(), statement, params, rows)


@step('the "{name:Quoted}" database should be reachable')
def step_the_database_should_be_reachable(context, name):
    db = context.db.select(context.variables.substitute(name))
    db.query("SELECT 1")


@step('these rows exist in the table "{table:Quoted}":')
@step('these rows exist in the table "{table:Quoted}"')
def step_these_rows_exist_in_the_table(context, table):
    rows = table_rows(context, context.variables)
    seeding.seed_rows(
        context.db.current(),
        context.variables.substitute(table),
        rows,
        table_sources(context),
        context.cleanup,
    )


@step(
    'rows of the table "{table:Quoted}" where "{column:Quoted}" is "{value:Quoted}" are removed after the scenario'
)
def step_rows_of_the_table_are_removed_after_the_scenario(context, table, column, value):
    subst = context.variables.substitute
    seeding.remove_after_scenario(
        context.db.current(), subst(table), {subst(column): subst(value)}, context.cleanup
    )


@step('I run the SQL script "{path:Quoted}"')
def step_i_run_the_sql_script(context, path):
    relative = context.variables.substitute(path)
    seeding.run_data_script(
        context.db.current(),
        data_file(context, relative),
        relative,
        context.variables,
        context.cleanup,
    )


@step(
    'I save the column "{column:Quoted}" of the table "{table:Quoted}" where "{where:Quoted}" is "{value:Quoted}" as "{name:Quoted}"'
)
def step_i_save_the_column_of_the_table(context, column, table, where, value, name):
    subst = context.variables.substitute
    found = db_checks.column_value(
        context.db.current(), subst(table), subst(column), {subst(where): subst(value)}
    )
    context.variables.set(subst(name), found)


@step('the table "{table:Quoted}" should have the columns:')
@step('the table "{table:Quoted}" should have the columns')
def step_the_table_should_have_the_columns(context, table):
    rows = table_rows(context, context.variables)
    db_checks.has_columns(context.db.current(), context.variables.substitute(table), rows)
