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

  @REQ-6 @critical
  Scenario: An order for a product in stock is confirmed
    Given the "inventory" service
    And I send a POST request to "/products" with JSON:
      """
      {"sku": "LAMP-${unique}", "name": "Desk lamp", "price": 19.90, "stock": 5}
      """
    And the "orders" service
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "ana", "sku": "LAMP-${unique}", "quantity": 2}
      """
    Then the response status should be 201
    And the response should match:
      """
      {
        "id": "#integer",
        "ref": "#regex ORD-[0-9A-F]{10}",
        "customer": "ana",
        "sku": "LAMP-${unique}",
        "quantity": 2,
        "status": "CONFIRMED"
      }
      """

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
      And the table "orders" should have 0 rows where "customer" is "ana-${unique}"

    @REQ-7
    Scenario: Ordering more than the stock is refused
      Given the "inventory" service
      And I send a POST request to "/products" with JSON:
        """
        {"sku": "MUG-${unique}", "name": "Mug", "price": 7.00, "stock": 1}
        """
      And the "orders" service
      When I send a POST request to "/orders" with JSON:
        """
        {"customer": "ben-${unique}", "sku": "MUG-${unique}", "quantity": 2}
        """
      Then the response status should be 409
      And the response field "error" should be "insufficient_stock"
      And the table "orders" should have 0 rows where "customer" is "ben-${unique}"

    @REQ-8
    Scenario: An order without credentials is refused
      Given the request has no credentials
      When I send a POST request to "/orders" with JSON:
        """
        {"customer": "eve-${unique}", "sku": "LAMP-01", "quantity": 1}
        """
      Then the response status should be 401
      And the response field "error" should be "unauthorized"

    @REQ-9
    Scenario: An order for zero items is refused as invalid
      When I send a POST request to "/orders" with JSON:
        """
        {"customer": "ana-${unique}", "sku": "LAMP-01", "quantity": 0}
        """
      Then the response status should be 400
      And the response field "error" should be "invalid_request"
