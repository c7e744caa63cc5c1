"""Sample test set package."""
