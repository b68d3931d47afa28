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

  @REQ-10 @manual
  Scenario: A printed packing slip lists every ordered item
    Given Ana has ordered 2 desk lamps and 1 mug
    When the warehouse prints the packing slip for her order
    Then the slip lists every ordered item with its quantity:
      | item      | quantity |
      | desk lamp | 2        |
      | mug       | 1        |
    And the slip shows the order number and Ana's delivery address

  @REQ-30 @manual
  Scenario: The confirmation e-mail reads well on a phone
    Given Ana has ordered 1 desk lamp
    When she opens the confirmation e-mail on a phone
    Then the order number, the items and the total fit the screen without scrolling sideways
    And the text is large enough to read without zooming
