@interface
Feature: My service answers
  A first interface check: the service is up and answers its health check.
  Replace it with the promises your service makes.

  @REQ-1 @smoke
  Scenario: My service answers its health check
    Given the "my_service" service
    When I send a GET request to "/health"
    Then the response status should be 200
