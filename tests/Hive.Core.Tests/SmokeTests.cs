namespace Hive.Core.Tests;
public class SmokeTests { [Fact] public void HomeDefault() => Assert.Equal("/var/lib/hive", HiveHome.DefaultHome); }
