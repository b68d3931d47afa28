@interface @inventory
Feature: Inventory API: catalogue, reservations and refusals
  Products are added by the shop's clerks only; anybody may read the
  catalogue. A reservation takes stock off a product until it is released.
  Every answer, refusals included, is the one the inventory's API contract
  documents.

  Background:
    Given the "inventory" service

  @REQ-11 @critical
  Scenario: A product sent from a payload file is stored and can be found at its address
    Given rows of the table "products" where "sku" is "READ-${unique}" are removed after the scenario
    When I send a POST request to "/products" with the JSON file "payloads/reading_lamp.json"
    Then the response status should be 201
    And the response header "Location" should contain "/products/READ-"
    And the response should match:
      """
      {"sku": "READ-${unique}", "name": "Reading lamp", "price": 24.5, "stock": 3}
      """
    And the response should conform to the API contract

  @REQ-11
  Scenario: A new product can be read back at the address its creation answered with
    Given rows of the table "products" where "sku" is "READ-${unique}" are removed after the scenario
    And I send a POST request to "/products" with the JSON file "payloads/reading_lamp.json"
    And I save the response header "Location" as "product_url"
    When I send a GET request to "${product_url}"
    Then the response status should be 200
    And the response field "name" should be "Reading lamp"
    And the response should match the JSON schema "schemas/product.json"
    And the response should conform to the API contract

  @REQ-12 @critical
  Scenario: Adding a product without credentials is refused
    Given the request has no credentials
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "ANON-${unique}", "name": "Anonymous lamp", "price": 1.00, "stock": 1}
      """
    Then the response status should be 401
    And the response header "WWW-Authenticate" should be "Bearer"
    And the response should match:
      """
      {"error": "unauthorized", "message": "missing bearer token"}
      """
    And the response should conform to the API contract
    And the table "products" should have 0 rows where "sku" is "ANON-${unique}"

  @REQ-12
  Scenario: Adding a product with somebody else's token is refused
    Given the request uses the "intruder" credentials
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "INTR-${unique}", "name": "Stolen lamp", "price": 1.00, "stock": 1}
      """
    Then the response status should be 401
    And the response field "message" should be "invalid bearer token"
    And the response should conform to the API contract

  @REQ-13
  Scenario: A product sent as form data is refused as an invalid request
    When I send a POST request to "/products" with form data:
      | name  | value          |
      | sku   | FORM-${unique} |
      | name  | Form lamp      |
      | price | 3.00           |
      | stock | 1              |
    Then the response status should be 400
    And the response should match:
      """
      {"error": "invalid_request", "message": "request body is not valid JSON", "details": ["#string"]}
      """
    And the response should conform to the API contract

  @REQ-13
  Scenario: Every invalid field of a new product is reported at once
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "no spaces allowed", "name": "", "price": -1, "stock": 1.5, "colour": "red"}
      """
    Then the response status should be 400
    And the response field "details" should be ["colour: unknown field", "sku: must match [A-Za-z0-9._-]{1,32}", "name: must be a non-empty string", "price: must be between 0 and 99999999.99", "stock: must be an integer"]
    And the response should match the JSON schema "schemas/error.json"
    And the response should conform to the API contract

  @REQ-14
  Scenario: The catalogue lists every product with its price and stock
    Given these rows exist in the table "products":
      | sku           | name           | price | stock |
      | CAT-${unique} | Catalogue lamp | 12.00 | 4     |
    And the request header "X-Trace" is "catalogue-${unique}"
    When I send a GET request to "/products"
    Then the response status should be 200
    And each item of the response field "items" should match:
      """
      {"sku": "#string", "name": "#string", "price": "#number", "stock": "#integer"}
      """
    And the response should contain:
      """
      {"items": [{"sku": "CAT-${unique}", "price": 12, "stock": 4}]}
      """
    And the response field "items[?sku=='CAT-${unique}'] | [0].name" should be "Catalogue lamp"
    And the response should conform to the API contract

  @REQ-15 @critical
  Scenario: A reservation takes the quantity off the product's stock
    Given these rows exist in the table "products":
      | sku           | name          | price | stock |
      | RES-${unique} | Reserved lamp | 9.00  | 5     |
    When I send a POST request to "/reservations" with JSON:
      """
      {"sku": "RES-${unique}", "quantity": 2, "order_ref": "REF-${unique}"}
      """
    Then the response status should be 201
    And the response header "Location" should be "#regex /reservations/[0-9]+"
    And the response should match:
      """
      {"id": "#integer", "sku": "RES-${unique}", "quantity": 2, "order_ref": "REF-${unique}", "status": "RESERVED"}
      """
    And the response should conform to the API contract
    And the table "products" should contain:
      | sku           | stock |
      | RES-${unique} | 3     |

  @REQ-16
  Scenario: Releasing a reservation gives its stock back
    Given these rows exist in the table "products":
      | sku           | name          | price | stock |
      | REL-${unique} | Released lamp | 9.00  | 5     |
    And I send a POST request to "/reservations" with JSON:
      """
      {"sku": "REL-${unique}", "quantity": 2, "order_ref": "REF-${unique}"}
      """
    And I save the response field "id" as "reservation_id"
    When I send a DELETE request to "/reservations/${reservation_id}"
    Then the response status should be 200
    And the response field "status" should be "RELEASED"
    And the response should conform to the API contract
    And the table "products" should contain:
      | sku           | stock |
      | REL-${unique} | 5     |

  @REQ-16
  Scenario: A reservation cannot be released twice
    Given these rows exist in the table "products":
      | sku             | name       | price | stock |
      | TWICE-${unique} | Twice lamp | 9.00  | 5     |
    And I send a POST request to "/reservations" with JSON:
      """
      {"sku": "TWICE-${unique}", "quantity": 1, "order_ref": "REF-${unique}"}
      """
    And I save the response field "id" as "reservation_id"
    And I send a DELETE request to "/reservations/${reservation_id}"
    When I send a DELETE request to "/reservations/${reservation_id}"
    Then the response status should be 409
    And the response field "error" should be "already_released"
    And the response should conform to the API contract

  @REQ-15
  Scenario: Asking for a reservation that does not exist is answered with 404
    When I send a GET request to "/reservations/999999999"
    Then the response status should be 404
    And the response field "error" should be "unknown_reservation"
    And the response should conform to the API contract
