@interface @inventory
Feature: Inventory API
  The inventory service keeps the catalogue of products with their stock,
  and reserves stock for orders. These scenarios check its HTTP interface
  one promise at a time: statuses, bodies and errors.

  Background:
    Given the "inventory" service

  @REQ-1 @smoke
  Scenario: The inventory service answers its health check
    When I send a GET request to "/health"
    Then the response status should be 200
    And the response should match:
      """
      {"status": "ok", "service": "inventory"}
      """

  @REQ-2 @critical
  Scenario: A new product is stored with its price and stock
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "LAMP-${unique}", "name": "Desk lamp", "price": 19.90, "stock": 5}
      """
    Then the response status should be 201
    And the response field "sku" should be "LAMP-${unique}"
    And the response field "price" should be 19.9
    And the response field "stock" should be 5
    And the table "products" should contain:
      | sku            | name      | price | stock |
      | LAMP-${unique} | Desk lamp | 19.90 | 5     |

  @REQ-2
  Scenario: Asking for an unknown product is answered with a clear error
    When I send a GET request to "/products/NOPE-${unique}"
    Then the response status should be 404
    And the response should match:
      """
      {"error": "unknown_product", "message": "#string"}
      """

  @REQ-3
  Scenario: A product without a name is refused and not stored
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "BAD-${unique}", "price": 1.50, "stock": 1}
      """
    Then the response status should be 400
    And the response field "error" should be "invalid_request"
    And the table "products" should have 0 rows where "sku" is "BAD-${unique}"

  @REQ-4 @critical
  Scenario: Reserving more than the stock is refused and the stock is untouched
    Given I send a POST request to "/products" with JSON:
      """
      {"sku": "MUG-${unique}", "name": "Mug", "price": 7.00, "stock": 1}
      """
    When I send a POST request to "/reservations" with JSON:
      """
      {"sku": "MUG-${unique}", "quantity": 3, "order_ref": "REF-${unique}"}
      """
    Then the response status should be 409
    And the response should contain:
      """
      {"error": "insufficient_stock"}
      """
    And the table "products" should contain:
      | sku           | stock |
      | MUG-${unique} | 1     |
