@integration @database
Feature: Customers are kept in the database
  A first scenario that needs nothing but interlock itself: it runs against the
  embedded database `main` (config/local.yaml), created from db/schema.sql for the
  run, and proves the suite is set up. Replace it with your own scenarios.
  A scenario tagged writes (@writes) writes test data, so it needs a disposable
  database: against a shared one, run the others (interlock run --tags "not @writes").

  Scenario: The customers table has the columns the application relies on
    Given the "main" database
    Then the table "customers" should have the columns:
      | column | type            | nullable |
      | id     | bigint unsigned | no       |
      | email  | varchar(200)    | no       |
      | name   | varchar(100)    | no       |

  @writes
  Scenario: A customer written by a test is found, and removed after the scenario
    Given the "main" database
    And the variable "email" is "ana-${unique}@example.com"
    And these rows exist in the table "customers":
      | email    | name |
      | ${email} | Ana  |
    Then the table "customers" should contain:
      | email    | name | active | created_at |
      | ${email} | Ana  | 1      | #notnull   |
    And the table "customers" should have 1 row where "email" is "${email}"
