using Hive.Core.Secrets;
using Hive.Core.Tests.Config;

namespace Hive.Core.Tests.Secrets;

public sealed class BindingPlanTests
{
    [Fact]
    public void Config_bindings_come_first_then_sandbox_scoped_then_global_each_secret_once()
    {
        var config = TestConfig.Ok("""{ "secrets": { "MY_KEY": "custom", "OPENAI_API_KEY": "openai-prod" }, "env": { "GH_TOKEN": "own" } }""");
        var plan = BindingPlan.For(config, [new ScopedSecret("openai", "openai"), new ScopedSecret("custom", null)],
            [new ScopedSecret("github", "github"), new ScopedSecret("openai", "openai")]);
        Assert.Equal(["custom", "openai-prod", "openai", "github"], plan.Select(p => p.Secret).ToArray());
        Assert.Equal(["MY_KEY"], plan[0].EnvVars);
        // OPENAI_API_KEY is taken by the config's own binding; GH_TOKEN by the config's env.
        Assert.Empty(plan[2].EnvVars);
        Assert.Equal(["GITHUB_TOKEN"], plan[3].EnvVars);
    }
}
