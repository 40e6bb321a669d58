return await Hive.Cli.HiveCli.RunAsync(args, new Hive.Cli.CliContext(), CancellationToken.None);
