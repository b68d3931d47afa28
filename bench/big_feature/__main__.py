from bench.big_feature.run import main

raise SystemExit(main())
