"""Articles: importing the Markdown library, rendering it safely, and the bridge to the search engine."""
