@interface @orders
Feature: Order quantities the orders API refuses
  An order names between 1 and 2147483647 items. Each row of the Outline is a
  scenario of its own; its quantity is filled into the JSON before the request.

  Background:
    Given the "orders" service

  @REQ-9
  Scenario Outline: An order for <quantity> items is refused as invalid
    When I send a POST request to "/orders" with JSON:
      """
      {"customer": "ana-${unique}", "sku": "LAMP-01", "quantity": <quantity>}
      """
    Then the response status should be 400
    And the response field "error" should be "invalid_request"
    And the response field "details" should be ["quantity: must be between 1 and 2147483647"]
    And the response should conform to the API contract
    And the table "orders" should have 0 rows where "customer" is "ana-${unique}"

    Examples:
      | quantity   |
      | 0          |
      | -1         |
      | 2147483648 |
