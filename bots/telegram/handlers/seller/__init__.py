"""What the shop's staff do in the chat: products, orders, sales, staff, broadcasts, two-factor."""
