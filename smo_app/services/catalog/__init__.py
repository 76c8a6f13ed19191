"""The catalog: categories, products and their variants."""
