"""Use cases. No streamlit here: services take their collaborators as arguments."""
