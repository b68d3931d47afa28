@interface @storefront
Feature: The storefront's pages
  The shop's web pages, checked in a real browser the way a customer reads them:
  fields by their labels, buttons by their text, tables by their captions.

  Background:
    Given these rows exist in the table "products":
      | sku          | name      | price | stock |
      | PG-${unique} | Page lamp | 12.50 | 1     |

  @REQ-1
  Scenario: The shop page lists each product with its price and stock
    Given the "storefront" page "/shop"
    Then the table "Products" should show:
      | Product   | Item number  | Price | In stock |
      | Page lamp | PG-${unique} | 12.50 | 1        |
    And I should not see "Order refused"
    And I take a screenshot named "the shop"

  @REQ-7
  Scenario: An order for more than the stock is refused on the page with the reason
    When I open the page "/shop" of the "storefront" service
    And I fill in "Your name" with "pat-${unique}"
    And I choose "Page lamp (PG-${unique})" from "Product"
    And I fill in "Quantity" with "2"
    And I save the text of "Your name" as "customer"
    And I click "Place order"
    Then I should see "Order refused: Not enough in stock"
    And the table "orders" should have 0 rows where "customer" is "${customer}"

  @REQ-1
  Scenario: A customer without orders sees an empty list once it has loaded
    Given the "storefront" page "/shop/orders?customer=nobody-${unique}"
    Then within 5 seconds I should see "0 order(s)"
    And I should not see "loading"
