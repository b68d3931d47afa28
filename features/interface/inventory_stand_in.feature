@interface @inventory @isolation
Feature: The inventory stand-in holds its callers to inventory's contract
  A stand-in answers only what inventory's API contract documents, and it checks
  every request it receives against the same contract: a caller that sends what
  the real inventory would refuse fails the scenario, unless the scenario says it
  expects that. Here the scenario itself is the caller.

  Background:
    Given the "inventory" service is replaced by a stand-in
    And the "inventory" service

  @REQ-44
  Scenario: A reservation the contract allows is received as sent
    Given the stand-in "inventory" answers POST "/reservations" with status 409 and JSON:
      """
      {"error": "insufficient_stock", "message": "only 1 left"}
      """
    When I send a POST request to "/reservations" with JSON:
      """
      {"sku": "LAMP-${unique}", "quantity": 2, "order_ref": "ORD-${unique}"}
      """
    Then the response status should be 409
    And the stand-in "inventory" should have received 1 POST request to "/reservations" with JSON:
      """
      {"sku": "LAMP-${unique}", "quantity": 2, "order_ref": "ORD-${unique}"}
      """

  @REQ-44
  Scenario: A reservation without credentials is outside the contract, and expected here
    Given the stand-in "inventory" may receive requests outside its API contract
    And the stand-in "inventory" answer header "WWW-Authenticate" is "Bearer"
    And the stand-in "inventory" answers POST "/reservations" with status 401 and JSON:
      """
      {"error": "unauthorized", "message": "a bearer token is required"}
      """
    And the request uses no credentials
    When I send a POST request to "/reservations" with JSON:
      """
      {"sku": "LAMP-${unique}", "quantity": 2, "order_ref": "ORD-${unique}"}
      """
    Then the response status should be 401
    And the stand-in "inventory" should have received 1 POST request to "/reservations"

  @REQ-44
  Scenario: One answer for a path template serves a request to any reservation
    Given the stand-in "inventory" answers DELETE "/reservations/{id}" with status 200 and JSON:
      """
      {"id": 7, "sku": "LAMP-${unique}", "quantity": 2, "order_ref": "ORD-${unique}", "status": "RELEASED"}
      """
    When I send a DELETE request to "/reservations/7"
    Then the response status should be 200
    And the response field "status" should be "RELEASED"
    And the stand-in "inventory" should have received 1 DELETE request to "/reservations/{id}"
    And the stand-in "inventory" should have received 1 DELETE request to "/reservations/7"
