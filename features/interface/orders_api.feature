@interface @orders
Feature: Orders API
  The orders service takes orders from customers. It reserves the stock with
  the inventory service before it confirms an order, and refuses orders it
  cannot fulfil with a clear error.

  Background:
    Given the "orders" service

  @REQ-5 @smoke
  Scenario: The orders service answers its health check
    When I send a GET request to "/health"
    Then the response status should be 200
    And the response field "status" should be "ok"
    And the response should conform to the API contract

  @REQ-6 @critical
  Scenario: An order for a product in stock is confirmed
    Given these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And rows of the table "orders" where "customer" is "ana-${unique}" are removed after the scenario
    And rows of the table "notifications" where "customer" is "ana-${unique}" are removed after the scenario
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "ana-${unique}", "sku": "LAMP-${unique}", "quantity": 2}
      """
    Then the response status should be 201
    And I save the response field "id" as "order_id"
    And rows of the table "outbox" where "order_id" is "${order_id}" are removed after the scenario
    And the response header "Location" should contain "/orders/"
    And the response should match:
      """
      {
        "id": "#integer",
        "ref": "#regex ORD-[0-9A-F]{10}",
        "customer": "ana-${unique}",
        "sku": "LAMP-${unique}",
        "quantity": 2,
        "status": "CONFIRMED"
      }
      """
    And the response should match the JSON schema "schemas/order.json"
    And the response should conform to the API contract

  @REQ-17
  Scenario: A confirmed order can be read back at its address
    Given these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And rows of the table "orders" where "customer" is "carla-${unique}" are removed after the scenario
    And rows of the table "notifications" where "customer" is "carla-${unique}" are removed after the scenario
    And the variable "customer" is "carla-${unique}"
    And I send a POST request to "/orders" with the JSON file "payloads/order_two_lamps.json"
    And I save the response field "id" as "order_id"
    And rows of the table "outbox" where "order_id" is "${order_id}" are removed after the scenario
    And I save the response header "Location" as "order_url"
    When I send a GET request to "${order_url}"
    Then the response status should be 200
    And the response should contain:
      """
      {"id": "${order_id}", "customer": "carla-${unique}", "quantity": 2, "status": "CONFIRMED"}
      """
    And the response should conform to the API contract

  @REQ-17
  Scenario: A customer's orders are listed oldest first
    Given these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And rows of the table "orders" where "customer" is "dora-${unique}" are removed after the scenario
    And rows of the table "notifications" where "customer" is "dora-${unique}" are removed after the scenario
    And the variable "customer" is "dora-${unique}"
    And I send a POST request to "/orders" with the JSON file "payloads/order_two_lamps.json"
    And I save the response field "id" as "first_order"
    And rows of the table "outbox" where "order_id" is "${first_order}" are removed after the scenario
    And I send a POST request to "/orders" with JSON:
      """
      {"customer": "dora-${unique}", "sku": "LAMP-${unique}", "quantity": 1}
      """
    And I save the response field "id" as "second_order"
    And rows of the table "outbox" where "order_id" is "${second_order}" are removed after the scenario
    And the request headers:
      | name    | value            |
      | X-Trace | orders-${unique} |
      | Accept  | application/json |
    And the request query parameters:
      | name     | value           |
      | customer | dora-${unique}  |
    When I send a GET request to "/orders"
    Then the response status should be 200
    And each item of the response field "items" should match:
      """
      {"id": "#integer", "ref": "#string", "customer": "dora-${unique}", "sku": "LAMP-${unique}", "quantity": "#integer", "status": "CONFIRMED"}
      """
    And the response field "items[*].quantity" should be [2, 1]
    And the response should conform to the API contract

  @REQ-18
  Scenario: Listing orders without naming the customer is refused
    When I send a GET request to "/orders"
    Then the response status should be 400
    And the response field "error" should be "invalid_request"
    And the response should conform to the API contract

  @REQ-18
  Scenario: Asking for an order that does not exist is answered with 404
    When I send a GET request to "/orders/999999999"
    Then the response status should be 404
    And the response should match:
      """
      {"error": "unknown_order", "message": "#string"}
      """
    And the response should conform to the API contract

  Rule: Orders that cannot be fulfilled are refused and leave nothing behind

    @REQ-7 @critical
    Scenario: Ordering an unknown product is refused with a clear error
      When I send a POST request to "/orders" with JSON:
        """
        {"customer": "ana-${unique}", "sku": "NOPE-${unique}", "quantity": 1}
        """
      Then the response status should be 422
      And the response should match:
        """
        {"error": "unknown_product", "message": "#string"}
        """
      And the response should conform to the API contract
      And the table "orders" should have 0 rows where "customer" is "ana-${unique}"

    @REQ-7
    Scenario: Ordering more than the stock is refused
      Given these rows exist in the table "products":
        | sku           | name | price | stock |
        | MUG-${unique} | Mug  | 7.00  | 1     |
      When I send a POST request to "/orders" with JSON:
        """
        {"customer": "ben-${unique}", "sku": "MUG-${unique}", "quantity": 2}
        """
      Then the response status should be 409
      And the response field "error" should be "insufficient_stock"
      And the response should conform to the API contract
      And the table "orders" should have 0 rows where "customer" is "ben-${unique}"

    @REQ-8 @critical
    Scenario: An order without credentials is refused
      Given the request has no credentials
      When I send a POST request to "/orders" with JSON:
        """
        {"customer": "eve-${unique}", "sku": "LAMP-01", "quantity": 1}
        """
      Then the response status should be 401
      And the response field "error" should be "unauthorized"
      And the response header "WWW-Authenticate" should be "Bearer"
      And the response should conform to the API contract
      And the table "orders" should have 0 rows where "customer" is "eve-${unique}"

    @REQ-8
    Scenario: An order with a token the shop does not know is refused
      Given the request uses the "intruder" credentials
      When I send a POST request to "/orders" with JSON:
        """
        {"customer": "mallory-${unique}", "sku": "LAMP-01", "quantity": 1}
        """
      Then the response status should be 401
      And the response field "message" should be "invalid bearer token"
      And the response should conform to the API contract

    @REQ-9
    Scenario: An order for zero items is refused as invalid
      When I send a POST request to "/orders" with JSON:
        """
        {"customer": "ana-${unique}", "sku": "LAMP-01", "quantity": 0}
        """
      Then the response status should be 400
      And the response field "error" should be "invalid_request"
      And the response field "details" should be ["quantity: must be between 1 and 2147483647"]
      And the response should conform to the API contract
