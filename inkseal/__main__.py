from inkseal.main import main

raise SystemExit(main())
