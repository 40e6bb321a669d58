using Hive.Core.Config;
using static Hive.Core.Tests.Config.TestConfig;

namespace Hive.Core.Tests.Config;

/// <summary><c>access: ask</c>, <c>egressDefault</c> and <c>askTimeout</c>: defaults, validation, round trip, diff.</summary>
public class AskConfigTests
{
    [Fact]
    public void Defaults_change_nothing_for_existing_configs()
    {
        var config = Ok("{}");
        Assert.Equal(EgressDefault.Deny, config.EgressDefault);
        Assert.Equal(120, config.AskTimeout);
    }

    [Fact]
    public void Ask_rules_egress_default_and_timeout_are_read_and_written_back_equal()
    {
        var config = Ok("{'egress':[{'access':'ask','host':'API.example.com','paths':['/x/**']}],'egressDefault':'ask','askTimeout':3600}");
        Assert.Equal(EgressAccess.Ask, config.Egress[0].Access);
        Assert.Equal("api.example.com", config.Egress[0].Host);
        Assert.Equal(EgressDefault.Ask, config.EgressDefault);
        Assert.Equal(3600, config.AskTimeout);
        var json = ConfigJson.Serialize(config, redact: false);
        Assert.Contains("\"egressDefault\":\"ask\"", json);
        Assert.Contains("\"askTimeout\":3600", json);
        Assert.Contains("\"access\":\"ask\"", json);
        Assert.Equal(config, ConfigParser.Parse(json, Box).Config);
    }

    [Theory]
    [InlineData("{'egressDefault':'allow'}", "egressDefault", "must be one of deny, ask")]
    [InlineData("{'egressDefault':true}", "egressDefault", "must be one of deny, ask (got a boolean)")]
    [InlineData("{'egressDefault':'ASK'}", "egressDefault", "must be one of deny, ask")]
    [InlineData("{'askTimeout':0}", "askTimeout", "must be an integer between 1 and 3600")]
    [InlineData("{'askTimeout':3601}", "askTimeout", "must be an integer between 1 and 3600")]
    [InlineData("{'askTimeout':'60'}", "askTimeout", "(got a string)")]
    [InlineData("{'askTimeout':1.5}", "askTimeout", "must be an integer")]
    [InlineData("{'egress':[{'access':'maybe','host':'a.com'}]}", "egress[0].access", "must be one of allow, deny, ask")]
    [InlineData("{'egress':[{'host':'a.com'}]}", "egress[0].access", "is required: one of allow, deny, ask")]
    [InlineData("{'egress':[{'access':'ask','host':'a.com','override':{'headers':{'X-K':'v'}}}]}", "egress[0].override", "is only allowed on allow rules")]
    [InlineData("{'egress':{'allow':[{'access':'ask','host':'a.com'}]}}", "egress.allow[0].access", "must be \"allow\" inside egress.allow")]
    public void Bad_values_name_the_field(string json, string path, string message)
    {
        var errors = Errors(json);
        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_change_of_default_or_timeout_is_a_listed_change()
    {
        var diff = ConfigDiff.Compare(Ok("{}"), Ok("{'egressDefault':'ask','askTimeout':30}"));
        Assert.Contains("egressDefault: deny -> ask", diff.Changes);
        Assert.Contains("askTimeout: 120 -> 30", diff.Changes);
        Assert.Empty(diff.ImmutableViolations);
    }
}
