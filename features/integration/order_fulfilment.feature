@integration
Feature: Order fulfilment across inventory, orders and notifications
  When a customer orders items that are in stock, the orders service reserves
  them with the inventory service, records the order, and the notifications
  worker tells the customer, all within a second or two.

  @REQ-10 @critical
  Scenario: An order for items in stock reserves them and notifies the customer
    Given these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And rows of the table "orders" where "customer" is "ana-${unique}" are removed after the scenario
    And the "orders" service
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "ana-${unique}", "sku": "LAMP-${unique}", "quantity": 2}
      """
    Then the response status should be 201
    And I save the response field "id" as "order_id"
    And rows of the table "notifications" where "order_id" is "${order_id}" are removed after the scenario
    And rows of the table "outbox" where "order_id" is "${order_id}" are removed after the scenario
    And the table "orders" should have 1 row where "customer" is "ana-${unique}"
    And the table "orders" should contain:
      | id          | customer      | sku            | quantity | status    |
      | ${order_id} | ana-${unique} | LAMP-${unique} | 2        | CONFIRMED |
    And the table "products" should contain:
      | sku            | stock |
      | LAMP-${unique} | 3     |
    And the table "reservations" should contain:
      | sku            | quantity | status   |
      | LAMP-${unique} | 2        | RESERVED |
    And within 5 seconds the table "notifications" should contain:
      | order_id    | customer      | channel | message  |
      | ${order_id} | ana-${unique} | email   | #notnull |
