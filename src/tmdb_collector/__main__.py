from tmdb_collector.entry import main

main()
