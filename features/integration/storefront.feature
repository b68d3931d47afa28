@integration @shop @storefront
Feature: Ordering in the storefront
  Customers order on the shop's web pages. The storefront places the order with
  the orders service, which reserves the items in inventory; the customer sees
  the confirmation and is told by e-mail. Every layer takes part: the page, the
  orders API, the stock in the database and the notification.

  @REQ-10 @critical
  Scenario: An order placed in the storefront is confirmed, reserves the items and is e-mailed
    Given the shop has 5 desk lamps in stock
    When Ana places an order for 2 desk lamps in the storefront
    Then Ana sees her order confirmed
    And the orders service has Ana's order for 2 desk lamps
    And the shop has 3 desk lamps left
    And Ana receives an e-mail confirming the order
    And Ana finds the order among her orders in the storefront

  @REQ-7
  Scenario: An order for more than the shop has is refused on the page and reserves nothing
    Given the shop has 1 mug in stock
    When Ben places an order for 2 mugs in the storefront
    Then Ben sees his order refused because the shop does not have enough in stock
    And the shop has 1 mug left
