/* a lib/ internal header */
