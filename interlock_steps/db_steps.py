"""Steps for MySQL/MariaDB databases: choose one, check tables and queries."""

from behave import step

from interlock.api import (
    InterlockError,
    data_file,
    db_checks,
    pages,
    register,
    saves_variable,
    seeding,
    table_headers,
    table_rows,
    table_sources,
    takes_table,
    writes_data,
)

register()


@step('the "{name:Quoted}" database')
def step_the_database(context, name):
    """Selects a configured database for the steps that follow (with one database configured,
    it is selected already).
    """
    context.db.select(context.variables.substitute(name))


@step('the table "{table:Quoted}" should contain:')
@step('the table "{table:Quoted}" should contain')
@takes_table
def step_the_table_should_contain(context, table):
    """Every row of the table is found in the database table. The header names the columns to
    compare; cells compare by the column's type (9.90 equals 9.9, true equals 1), NULL is an
    empty value, and markers such as #notnull work. A failure shows the closest rows found.
    """
    rows = table_rows(context, context.variables)
    name = context.variables.substitute(table)
    try:
        db_checks.contains_rows(context.db.current(), name, rows)
    except (AssertionError, InterlockError) as failure:
        # An analyst checking a table on a web page with the database phrase: say which.
        raise pages.hint_for_table_step(context.browser, name, failure) from None


@step('the table "{table:Quoted}" should not contain:')
@step('the table "{table:Quoted}" should not contain')
@takes_table
def step_the_table_should_not_contain(context, table):
    """None of the rows of the table is found in the database table."""
    rows = table_rows(context, context.variables)
    db_checks.lacks_rows(context.db.current(), context.variables.substitute(table), rows)


@step('within {seconds:IntOrVariable} seconds the table "{table:Quoted}" should contain:')
@step('within {seconds:IntOrVariable} seconds the table "{table:Quoted}" should contain')
@takes_table
def step_within_seconds_the_table_should_contain(context, seconds, table):
    """Like 'should contain', retried with fresh reads until the rows appear or the seconds run
    out: for work the system does in the background. A failure shows the closest rows seen.
    """
    rows = table_rows(context, context.variables)
    interval = context.interlock.config.http.poll_interval
    limit = context.variables.whole_number(seconds, "the number of seconds")
    db_checks.eventually_contains_rows(
        context.db.current(), context.variables.substitute(table), rows, limit, interval
    )


@step('the table "{table:Quoted}" should have {count:IntOrVariable} rows')
@step('the table "{table:Quoted}" should have {count:IntOrVariable} row')
def step_the_table_should_have_rows(context, table, count):
    """Counts all rows of the table."""
    expected = context.variables.whole_number(count, "the number of rows")
    db_checks.row_count_is(context.db.current(), context.variables.substitute(table), expected)


@step(
    'the table "{table:Quoted}" should have {count:IntOrVariable} rows where "{column:Quoted}" is "{value:Quoted}"'
)
@step(
    'the table "{table:Quoted}" should have {count:IntOrVariable} row where "{column:Quoted}" is "{value:Quoted}"'
)
def step_the_table_should_have_rows_where(context, table, count, column, value):
    """Counts the rows of the table whose column has the value (NULL for an empty value)."""
    subst = context.variables.substitute
    expected = context.variables.whole_number(count, "the number of rows")
    db_checks.row_count_is(
        context.db.current(), subst(table), expected, subst(column), subst(value)
    )


@step('the query "{sql:Quoted}" should return:')
@step('the query "{sql:Quoted}" should return')
@takes_table
def step_the_query_should_return(context, sql):
    """Runs the query and compares its rows, in order, with the table. ${name} inside the query
    becomes a bound parameter, never text pasted into it. One read-only statement only (SELECT,
    WITH ... SELECT, SHOW, DESCRIBE or EXPLAIN), on every database: anything that writes, locks
    or sets is refused; change data with a SQL script.
    """
    statement, params = context.variables.split_for_sql(sql)
    rows = table_rows(context, context.variables)
    db_checks.query_returns(context.db.current(), statement, params, rows)


@step('the "{name:Quoted}" database should be reachable')
def step_the_database_should_be_reachable(context, name):
    """Connects to the database and runs SELECT 1: an interface check of the connection itself."""
    db = context.db.select(context.variables.substitute(name))
    db.query("SELECT 1")


@step('these rows exist in the table "{table:Quoted}":')
@step('these rows exist in the table "{table:Quoted}"')
@takes_table
@writes_data
def step_these_rows_exist_in_the_table(context, table):
    """Inserts the rows for this scenario and removes them again after it, whatever its
    outcome. Refused on a database not marked disposable in config. A row that cannot be
    inserted is named by its line.
    """
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
    """Registers rows the system under test will create (or has created) for removal after the
    scenario, so it leaves nothing behind. Removal runs newest first.
    """
    subst = context.variables.substitute
    seeding.remove_after_scenario(
        context.db.current(), subst(table), {subst(column): subst(value)}, context.cleanup
    )


@step('I run the SQL script "{path:Quoted}"')
@writes_data
def step_i_run_the_sql_script(context, path):
    """Runs a SQL script from the data folder statement by statement; ${name} inside it become
    bound parameters. A <name>.cleanup.sql beside it runs after the scenario. Refused on a
    database not marked disposable.
    """
    relative = context.variables.substitute(path)
    seeding.run_data_script(
        context.db.current(),
        data_file(context, relative),
        relative,
        context.variables,
        context.cleanup,
        data_dir=context.interlock.config.data_dir,
    )


@step(
    'I save the column "{column:Quoted}" of the table "{table:Quoted}" where "{where:Quoted}" is "{value:Quoted}" as "{name:Quoted}"'
)
@saves_variable("name")
def step_i_save_the_column_of_the_table(context, column, table, where, value, name):
    """Keeps the column's value from the one row that matches as a scenario variable, for later
    steps as ${name}.
    """
    subst = context.variables.substitute
    found = db_checks.column_value(
        context.db.current(), subst(table), subst(column), {subst(where): subst(value)}
    )
    context.variables.set(subst(name), found)


@step('the table "{table:Quoted}" should have the columns:')
@step('the table "{table:Quoted}" should have the columns')
@table_headers("column", allowed=("type", "nullable"))
def step_the_table_should_have_the_columns(context, table):
    """Checks the table's columns against the table (column | type | nullable): an interface
    check of the schema. Integer display widths are ignored (int matches int(11)).
    """
    rows = table_rows(context, context.variables)
    db_checks.has_columns(context.db.current(), context.variables.substitute(table), rows)
