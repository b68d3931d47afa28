@interface @orders @isolation
Feature: Orders API when inventory refuses, stalls or fails
  The orders service reserves the stock with the inventory service before it
  confirms an order. Here a stand-in takes inventory's place, so that each
  answer inventory may give can be played on demand, and each scenario checks
  what the orders service then answers its own caller. The stand-in gives only
  answers inventory's API contract documents, unless a scenario allows more.

  Background:
    Given the "inventory" service is replaced by a stand-in
    And the "orders_isolated" service

  @REQ-40 @critical
  Scenario: An order inventory cannot reserve for lack of stock is refused with inventory's reason
    Given the stand-in "inventory" answers POST "/reservations" with status 409 and JSON:
      """
      {"error": "insufficient_stock", "message": "only 1 left"}
      """
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "ana-${unique}", "sku": "LAMP-${unique}", "quantity": 2}
      """
    Then the response status should be 409
    And the response should match:
      """
      {"error": "insufficient_stock", "message": "only 1 left"}
      """
    And the response should conform to the API contract
    And the stand-in "inventory" should have received 1 POST request to "/reservations" with JSON:
      """
      {"sku": "LAMP-${unique}", "quantity": 2, "order_ref": "#regex ORD-[0-9A-F]{10}"}
      """
    And the table "orders" should have 0 rows where "customer" is "ana-${unique}"

  @REQ-40
  Scenario: An order for a product inventory does not know is refused as unknown
    Given the stand-in "inventory" answers POST "/reservations" with status 404 and JSON:
      """
      {"error": "unknown_product", "message": "unknown product 'OAK-${unique}'"}
      """
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "ben-${unique}", "sku": "OAK-${unique}", "quantity": 1}
      """
    Then the response status should be 422
    And the response field "error" should be "unknown_product"
    And the response should conform to the API contract
    And the table "orders" should have 0 rows where "customer" is "ben-${unique}"

  @REQ-41 @critical
  Scenario: An order is refused as unavailable when inventory answers too late
    Given the stand-in "inventory" answer header "Location" is "/reservations/41"
    And the stand-in "inventory" answers POST "/reservations" with status 201 and JSON after a delay of 3000 ms:
      """
      {"id": 41, "sku": "LAMP-${unique}", "quantity": 1, "order_ref": "ORD-0000000041", "status": "RESERVED"}
      """
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "carla-${unique}", "sku": "LAMP-${unique}", "quantity": 1}
      """
    Then the response status should be 503
    And the response field "error" should be "inventory_unavailable"
    And the response time should be under 2500 ms
    And the response should conform to the API contract
    And the stand-in "inventory" should have received 1 POST request to "/reservations"
    And the table "orders" should have 0 rows where "customer" is "carla-${unique}"

  @REQ-42
  Scenario: An order is refused as unavailable when inventory's database is down
    Given the stand-in "inventory" answers POST "/reservations" with status 503 with JSON:
      """
      {"error": "database_unavailable", "message": "the database cannot be reached"}
      """
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "dora-${unique}", "sku": "LAMP-${unique}", "quantity": 1}
      """
    Then the response status should be 503
    And the response should match:
      """
      {"error": "inventory_unavailable", "message": "inventory answered HTTP 503 (database_unavailable)"}
      """
    And the response should conform to the API contract
    And the table "orders" should have 0 rows where "customer" is "dora-${unique}"

  @REQ-42 @critical
  Scenario: An order is refused as unavailable when inventory fails with a server error
    Given the stand-in "inventory" may answer outside its API contract
    And the stand-in "inventory" answers POST "/reservations" with status 500
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "eve-${unique}", "sku": "LAMP-${unique}", "quantity": 1}
      """
    Then the response status should be 503
    And the response field "error" should be "inventory_unavailable"
    And the response should conform to the API contract
    And the stand-in "inventory" should have received 1 POST request to "/reservations"
    And the table "orders" should have 0 rows where "customer" is "eve-${unique}"

  @REQ-43
  Scenario: An order whose stock inventory reserves is confirmed with inventory's reservation
    Given the stand-in "inventory" answer header "Location" is "/reservations/43"
    And the stand-in "inventory" answers POST "/reservations" with status 201 and JSON:
      """
      {"id": 43, "sku": "LAMP-${unique}", "quantity": 2, "order_ref": "ORD-0000000043", "status": "RESERVED"}
      """
    And rows of the table "orders" where "customer" is "fay-${unique}" are removed after the scenario
    And rows of the table "notifications" where "customer" is "fay-${unique}" are removed after the scenario
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "fay-${unique}", "sku": "LAMP-${unique}", "quantity": 2}
      """
    Then the response status should be 201
    And I save the response field "id" as "order_id"
    And rows of the table "outbox" where "order_id" is "${order_id}" are removed after the scenario
    And the response field "status" should be "CONFIRMED"
    And the response should conform to the API contract
    And the table "orders" should contain:
      | customer      | sku            | quantity | status    | reservation_id |
      | fay-${unique} | LAMP-${unique} | 2        | CONFIRMED | 43             |
