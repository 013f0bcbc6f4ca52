"""What buyers do in the chat: browse, cart, checkout and payment, orders, reviews, support, privacy."""
