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
    And the response header "Content-Type" should be "application/json"
    And the response time should be under 2000 ms
    And the response should match:
      """
      {"status": "ok", "service": "inventory"}
      """
    And the response should conform to the API contract

  @REQ-2 @critical
  Scenario: A new product is stored with its price and stock
    Given rows of the table "products" where "sku" is "LAMP-${unique}" are removed after the scenario
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "LAMP-${unique}", "name": "Desk lamp", "price": 19.90, "stock": 5}
      """
    Then the response status should be 201
    And the response header "Location" should be "/products/LAMP-${unique}"
    And the response field "sku" should be "LAMP-${unique}"
    And the response field "price" should be 19.9
    And the response field "stock" should be 5
    And the response should match the JSON schema "schemas/product.json"
    And the response should conform to the API contract
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
    And the response should conform to the API contract

  @REQ-3
  Scenario: A product without a name is refused and not stored
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "BAD-${unique}", "price": 1.50, "stock": 1}
      """
    Then the response status should be 400
    And the response field "error" should be "invalid_request"
    And the response field "details" should be ["name: is required"]
    And the response should conform to the API contract
    And the table "products" should have 0 rows where "sku" is "BAD-${unique}"

  @REQ-4 @critical
  Scenario: Reserving more than the stock is refused and the stock is untouched
    Given these rows exist in the table "products":
      | sku           | name | price | stock |
      | MUG-${unique} | Mug  | 7.00  | 1     |
    When I send a POST request to "/reservations" with JSON:
      """
      {"sku": "MUG-${unique}", "quantity": 3, "order_ref": "REF-${unique}"}
      """
    Then the response status should be 409
    And the response should contain:
      """
      {"error": "insufficient_stock", "message": "only 1 left"}
      """
    And the response should conform to the API contract
    And the table "products" should contain:
      | sku           | stock |
      | MUG-${unique} | 1     |

  @REQ-2
  Scenario: A product's old address redirects to its new one
    Given these rows exist in the table "products":
      | sku            | name | price | stock |
      | BOOK-${unique} | Book | 12.00 | 4     |
    And redirects are not followed
    When I send a GET request to "/stock/BOOK-${unique}"
    Then the response status should be 301
    And the response header "Location" should be "/products/BOOK-${unique}"
    And the response should conform to the API contract
    Given redirects are followed
    When I send a GET request to "/stock/BOOK-${unique}"
    Then the response status should be 200
    And the response field "sku" should be "BOOK-${unique}"
