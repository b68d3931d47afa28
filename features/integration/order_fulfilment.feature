@integration @shop
Feature: Ordering from the shop
  Customers order products the shop has in stock. The shop reserves the items,
  confirms the order and tells the customer by e-mail. Three modules work
  together here: orders, inventory and notifications.

  @REQ-10 @critical
  Scenario: An order for items in stock is confirmed and reserves them
    Given the shop has 5 desk lamps in stock
    When Ana orders 2 desk lamps
    Then Ana's order is confirmed
    And the shop has 3 desk lamps left

  @REQ-30
  Scenario: A confirmed order is e-mailed to the customer
    Given the shop has 5 desk lamps in stock
    When Ana orders 1 desk lamp
    Then Ana receives an e-mail confirming the order

  @REQ-7 @critical
  Scenario: An order for more items than the shop has is refused and reserves nothing
    Given the shop has 1 mug in stock
    When Ben orders 2 mugs
    Then Ben's order is refused because the shop does not have enough in stock
    And the shop has 1 mug left

  @REQ-7
  Scenario: An order for a product the shop does not sell is refused
    Given the shop does not sell oak desks
    When Ben orders 1 oak desk
    Then Ben's order is refused because the shop does not sell it
