"""The five scenarios, in the order the runner plays them."""
