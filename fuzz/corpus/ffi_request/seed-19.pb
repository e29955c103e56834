‚
aa:bbrxblebattery*