Feature: Order confirmation e-mails
  The notifications service tells customers by e-mail that their order is
  confirmed. Anyone may read the notifications sent for one order; a request
  that does not name a valid order is refused with a clear error.

  @REQ-50 @critical
  Scenario: A confirmed order is announced to its customer by exactly one e-mail
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
    And the response status should be 201
    And I save the response field "id" as "order_id"
    And I save the response field "ref" as "order_ref"
    And rows of the table "outbox" where "order_id" is "${order_id}" are removed after the scenario
    And the "notifications" service
    When I send a GET request to "/notifications?order_id=${order_id}" until the response field "length(items)" is 1 within 5 seconds
    Then the response status should be 200
    And the response should match:
      """
      {"items": [{"id": "#integer", "order_id": ${order_id}, "customer": "ana-${unique}", "channel": "email", "message": "Order ${order_ref} confirmed: 2 x LAMP-${unique}"}]}
      """
    And the response should conform to the API contract

  @REQ-51 @normal
  Scenario: Asking for notifications without naming an order is refused as an invalid request
    Given the "notifications" service
    When I send a GET request to "/notifications"
    Then the response status should be 400
    And the response should match:
      """
      {"error": "invalid_request", "message": "#string"}
      """
    And the response should conform to the API contract

  @REQ-52 @normal
  Scenario: An order number that is not a positive whole number is refused
    Given the "notifications" service
    When I send a GET request to "/notifications?order_id=0"
    Then the response status should be 400
    And the response field "error" should be "invalid_request"
    And the response should conform to the API contract
