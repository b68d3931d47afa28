@interface @database
Feature: The shop database
  The shop's services share one database. Its tables are an interface of their
  own: reports and other teams read them. These scenarios check the schema the
  services promise and the rules the data follows.

  @REQ-20 @critical
  Scenario: Products keep their price as an exact decimal and their stock as a whole number
    Then the table "products" should have the columns:
      | column     | type          | nullable |
      | sku        | varchar(32)   | no       |
      | name       | varchar(100)  | no       |
      | price      | decimal(10,2) | no       |
      | stock      | int           | no       |
      | created_at | datetime      | no       |

  @REQ-20
  Scenario: Orders record who ordered what, and which reservation holds the stock
    Then the table "orders" should have the columns:
      | column         | type            | nullable |
      | id             | bigint unsigned | no       |
      | ref            | varchar(64)     | no       |
      | customer       | varchar(100)    | no       |
      | quantity       | int             | no       |
      | status         | varchar(16)     | no       |
      | reservation_id | bigint unsigned | yes      |

  @REQ-21
  Scenario: Seeded products are stored with typed values and removed after the scenario
    Given the variable "desk" is "DESK-${unique}"
    And the variable "chair" is "CHAIR-${unique}"
    And these rows exist in the table "products":
      | sku      | name       | price | stock |
      | ${desk}  | Oak desk   | 249.9 | 3     |
      | ${chair} | Desk chair | 89.00 | 0     |
    Then the table "products" should contain:
      | sku      | price  | stock | created_at |
      | ${desk}  | 249.90 | 3     | #notnull   |
      | ${chair} | 89     | 0     | #notnull   |
    And the table "products" should not contain:
      | sku      | stock |
      | ${chair} | 1     |
    And the table "products" should have 1 row where "sku" is "${desk}"
    And the query "SELECT COUNT(*) AS n, SUM(stock) AS total FROM products WHERE sku IN (${desk}, ${chair})" should return:
      | n | total |
      | 2 | 3     |

  @REQ-22 @critical
  Scenario: Reserving stock through the API lowers the stock in the database
    Given the variable "lamp" is "LAMP-${unique}"
    And these rows exist in the table "products":
      | sku     | name      | price | stock |
      | ${lamp} | Desk lamp | 19.90 | 5     |
    And the "inventory" service
    When I send a POST request to "/reservations" with JSON:
      """
      {"sku": "${lamp}", "quantity": 2, "order_ref": "REF-${unique}"}
      """
    Then the response status should be 201
    And the query "SELECT stock FROM products WHERE sku = ${lamp}" should return:
      | stock |
      | 3     |
    And the table "reservations" should contain:
      | sku     | quantity | order_ref     | status   |
      | ${lamp} | 2        | REF-${unique} | RESERVED |

  @REQ-22
  Scenario: Releasing a reservation puts its stock back in the database
    Given these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And the "inventory" service
    And I send a POST request to "/reservations" with JSON:
      """
      {"sku": "LAMP-${unique}", "quantity": 4, "order_ref": "REF-${unique}"}
      """
    And I save the column "id" of the table "reservations" where "order_ref" is "REF-${unique}" as "reservation"
    When I send a DELETE request to "/reservations/${reservation}"
    Then the response status should be 200
    And the table "products" should contain:
      | sku            | stock |
      | LAMP-${unique} | 5     |
    And the table "reservations" should contain:
      | sku            | quantity | status   |
      | LAMP-${unique} | 4        | RELEASED |

  @REQ-23
  Scenario: A script loads products in bulk for one scenario
    When I run the SQL script "sql/bulk_products.sql"
    Then the table "products" should contain:
      | sku              | name            | stock |
      | BULK-${unique}-1 | Bulk item one   | 100   |
      | BULK-${unique}-3 | Bulk item three | 0     |
    And the "shop" database should be reachable

  @REQ-24 @serial
  Scenario: The notifications worker writes an order's e-mail within seconds
    # @serial: it runs alone, once the rest of the suite has cleaned up, so the
    # whole-table count below sees only this scenario's order.
    Given the "shop" database
    And these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And rows of the table "orders" where "customer" is "dan-${unique}" are removed after the scenario
    And the "orders" service
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "dan-${unique}", "sku": "LAMP-${unique}", "quantity": 1}
      """
    Then the response status should be 201
    And I save the response field "id" as "order_id"
    And rows of the table "notifications" where "order_id" is "${order_id}" are removed after the scenario
    And rows of the table "outbox" where "order_id" is "${order_id}" are removed after the scenario
    And the table "orders" should have 1 row
    And within 5 seconds the table "notifications" should contain:
      | order_id    | customer      | channel | message                   |
      | ${order_id} | dan-${unique} | email   | #regex Order ORD-.* 1 x .* |
