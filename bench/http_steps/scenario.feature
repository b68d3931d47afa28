  Scenario: A product is added and read back ({n})
    Given the "inventory" service
    When I send a POST request to "/products" with JSON:
      """
      {"sku": "B${unique}", "name": "Bench lamp", "price": 19.90, "stock": 5}
      """
    Then the response status should be 201
    And the response should match:
      """
      {"sku": "B${unique}", "name": "Bench lamp", "price": 19.9, "stock": 5}
      """
    And the response field "stock" should be 5
    And I save the response field "sku" as "sku"
    And I send a GET request to "/products/${sku}"
    And the response status should be 200
    And the response should contain:
      """
      {"name": "Bench lamp"}
      """
