@interface @notifications
Feature: Notifications API
  The notifications service tells customers by e-mail that their order is
  confirmed, a moment after the orders service confirmed it. Anybody may read
  the notifications of an order; nobody writes them through the API.

  @REQ-19 @smoke
  Scenario: The notifications service is reachable
    Then the "notifications" service should be reachable

  @REQ-19 @critical
  Scenario: A customer whose order is confirmed gets one e-mail about it
    Given these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And rows of the table "orders" where "customer" is "ana-${unique}" are removed after the scenario
    And rows of the table "notifications" where "customer" is "ana-${unique}" are removed after the scenario
    And the "orders" service
    And I send a POST request to "/orders" with JSON:
      """
      {"customer": "ana-${unique}", "sku": "LAMP-${unique}", "quantity": 2}
      """
    And I save the response field "id" as "order_id"
    And rows of the table "outbox" where "order_id" is "${order_id}" are removed after the scenario
    And I save the response field "ref" as "order_ref"
    And the "notifications" service
    When I send a GET request to "/notifications?order_id=${order_id}" until the response field "length(items)" is 1 within 5 seconds
    Then the response status should be 200
    And the response should match:
      """
      {
        "items": [
          {
            "id": "#integer",
            "order_id": "${order_id}",
            "customer": "ana-${unique}",
            "channel": "email",
            "message": "Order ${order_ref} confirmed: 2 x LAMP-${unique}"
          }
        ]
      }
      """
    And the response should match the JSON schema "schemas/notification_list.json"
    And the response should conform to the API contract

  @REQ-19
  Scenario: The e-mail about an order arrives within the usual wait
    Given these rows exist in the table "products":
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |
    And rows of the table "orders" where "customer" is "ben-${unique}" are removed after the scenario
    And rows of the table "notifications" where "customer" is "ben-${unique}" are removed after the scenario
    And the "orders" service
    And I send a POST request to "/orders" with JSON:
      """
      {"customer": "ben-${unique}", "sku": "LAMP-${unique}", "quantity": 1}
      """
    And I save the response field "id" as "order_id"
    And rows of the table "outbox" where "order_id" is "${order_id}" are removed after the scenario
    And the "notifications" service
    And the request query parameter "order_id" is "${order_id}"
    When I send a GET request to "/notifications" until the response field "items[0].channel" is "email"
    Then each item of the response field "items" should match:
      """
      {"id": "#integer", "order_id": "${order_id}", "customer": "ben-${unique}", "channel": "email", "message": "#regex Order ORD-[0-9A-F]{10} confirmed: 1 x LAMP-.+"}
      """

  @REQ-19
  Scenario: An order nobody placed has no notifications
    Given the "notifications" service
    And the request query parameters:
      | name     | value     |
      | order_id | 999999999 |
    When I send a GET request to "/notifications"
    Then the response status should be 200
    And the response should match:
      """
      {"items": []}
      """
    And the response should conform to the API contract

  @REQ-19
  Scenario: Asking for notifications without an order id is refused
    Given the "notifications" service
    When I send a GET request to "/notifications"
    Then the response status should be 400
    And the response should match:
      """
      {"error": "invalid_request", "message": "query parameter 'order_id' is required"}
      """
    And the response should conform to the API contract

  @REQ-19
  Scenario: Asking for notifications with an order id that is not a number is refused
    Given the "notifications" service
    When I send a GET request to "/notifications?order_id=abc"
    Then the response status should be 400
    And the response field "message" should be "query parameter 'order_id' must be a positive integer"
    And the response should conform to the API contract

  @REQ-19
  Scenario: Asking for notifications with an order id beyond the contract's 64-bit range is refused
    # found by probing (contracts.feature): 2^63 was answered 200 where the contract says int64
    Given the "notifications" service
    When I send a GET request to "/notifications?order_id=9223372036854775808"
    Then the response status should be 400
    And the response field "message" should be "query parameter 'order_id' must be a positive integer"
    And the response should conform to the API contract
