return await Hive.Daemon.DaemonProgram.RunAsync(CancellationToken.None);
