@interface @contract
Feature: Every service keeps its API contract
  Each service promises, in its OpenAPI document (demo/openapi), what it answers to
  every request. Requests generated from that document, valid and invalid ones, probe
  each operation: every answer must be one the document describes. These scenarios
  run one at a time after the others (@serial): probing writes rows, which are removed
  afterwards, and the coverage check reads what the whole run has seen.

  @REQ-60 @serial
  Scenario: The inventory keeps its contract for any product or reservation request
    Then every operation of the "inventory" API should keep its contract for 10 generated requests

  @REQ-60 @serial
  Scenario: Placing an order keeps its contract for any order request
    Then the operation "POST /orders" of the "orders" API should keep its contract for 10 generated requests

  @REQ-60 @serial
  Scenario: The notifications keep their contract for any request
    Then every operation of the "notifications" API should keep its contract for generated requests

  @REQ-61 @serial @whole-run
  Scenario: Every answer the notifications service documents has been seen
    Then every documented response of the "notifications" API should have been seen, except:
      | operation | status |
      | *         | 503    |
