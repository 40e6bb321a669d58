using System.Text;
using Hive.Core.Config;
using static Hive.Core.Tests.Config.TestConfig;

namespace Hive.Core.Tests.Config;

/// <summary>Every rejection, with the exact JSON path it is reported at and a fragment of its message.</summary>
public class ConfigParserErrorTests
{
    [Theory]
    // document
    [InlineData("[]", "$", "must be a JSON object (got a list)")]
    [InlineData("'hive/base'", "$", "must be a JSON object (got a string)")]
    [InlineData("null", "$", "must be a JSON object (got null)")]
    [InlineData("42", "$", "must be a JSON object (got a number)")]
    [InlineData("{", "$", "invalid JSON: ")]
    [InlineData("{'ttl':1,}", "$", "invalid JSON: ")]
    [InlineData("{'ttl':1} x", "$", "invalid JSON: ")]
    [InlineData("{ttl:1}", "$", "invalid JSON: ")]
    [InlineData("{'ttl':1 /* c */}", "$", "invalid JSON: ")]
    // root fields
    [InlineData("{'colour':1}", "colour", "unknown field (allowed: image, env, secrets, fs, egress, egressDefault, askTimeout, ttl, resources)")]
    [InlineData("{'Image':'x'}", "Image", "unknown field; did you mean \"image\"?")]
    [InlineData("{'a b':1}", "[\"a b\"]", "unknown field")]
    [InlineData("{'ttl':1,'ttl':2}", "ttl", "duplicate key")]
    [InlineData("{'ttl':null,'ttl':2}", "ttl", "duplicate key")]
    // image
    [InlineData("{'image':''}", "image", "must be an image name such as hive/base")]
    [InlineData("{'image':'Hive/Base'}", "image", "must be an image name")]
    [InlineData("{'image':'hive/../etc'}", "image", "must be an image name")]
    [InlineData("{'image':'hive//base'}", "image", "must be an image name")]
    [InlineData("{'image':'/hive'}", "image", "must be an image name")]
    [InlineData("{'image':'hive/'}", "image", "must be an image name")]
    [InlineData("{'image':'.hive'}", "image", "must be an image name")]
    [InlineData("{'image':'hive/base:'}", "image", "must be an image name")]
    [InlineData("{'image':'hive/base:.x'}", "image", "must be an image name")]
    [InlineData("{'image':'hive/base:a:b'}", "image", "must be an image name")]
    [InlineData("{'image':'hive base'}", "image", "must be an image name")]
    [InlineData("{'image':'registry.io:5000/x'}", "image", "must be an image name")]
    [InlineData("{'image':5}", "image", "must be a string (got a number)")]
    [InlineData("{'image':{}}", "image", "must be a string (got an object)")]
    // env
    [InlineData("{'env':[]}", "env", "must be an object (got a list)")]
    [InlineData("{'env':'A=1'}", "env", "must be an object (got a string)")]
    [InlineData("{'env':{'1A':'x'}}", "env[\"1A\"]", "invalid variable name: use letters, digits and _, not starting with a digit")]
    [InlineData("{'env':{'A-B':'x'}}", "env[\"A-B\"]", "invalid variable name")]
    [InlineData("{'env':{'':'x'}}", "env[\"\"]", "invalid variable name")]
    [InlineData("{'env':{'A=B':'x'}}", "env[\"A=B\"]", "invalid variable name")]
    [InlineData("{'env':{'A':1}}", "env.A", "value must be a string (got a number)")]
    [InlineData("{'env':{'A':null}}", "env.A", "value must be a string (got null)")]
    [InlineData("{'env':{'A':'x\\u0000y'}}", "env.A", "value must not contain NUL characters")]
    [InlineData("{'env':{'A':'1','A':'2'}}", "env.A", "duplicate key")]
    // secrets
    [InlineData("{'secrets':[]}", "secrets", "must be an object (got a list)")]
    [InlineData("{'secrets':{'A':'-bad'}}", "secrets.A", "must be a secret name: 1-128 characters of letters, digits, _, . and -")]
    [InlineData("{'secrets':{'A':''}}", "secrets.A", "must be a secret name")]
    [InlineData("{'secrets':{'A':'a/b'}}", "secrets.A", "must be a secret name")]
    [InlineData("{'secrets':{'a b':'x'}}", "secrets[\"a b\"]", "invalid variable name")]
    [InlineData("{'secrets':{'A':true}}", "secrets.A", "value must be a string (got a boolean)")]
    [InlineData("{'env':{'TOKEN':'x'},'secrets':{'TOKEN':'gh'}}", "secrets.TOKEN", "is also set in env")]
    // ttl
    [InlineData("{'ttl':-1}", "ttl", "must be an integer between 0 and 2592000")]
    [InlineData("{'ttl':2592001}", "ttl", "must be an integer between 0 and 2592000")]
    [InlineData("{'ttl':1.5}", "ttl", "must be an integer between 0 and 2592000")]
    [InlineData("{'ttl':1e20}", "ttl", "must be an integer between 0 and 2592000")]
    [InlineData("{'ttl':'60'}", "ttl", "(got a string)")]
    [InlineData("{'ttl':true}", "ttl", "(got a boolean)")]
    // resources
    [InlineData("{'resources':[]}", "resources", "must be an object (got a list)")]
    [InlineData("{'resources':{'cpus':0}}", "resources.cpus", "must be a number between 0.01 and 64")]
    [InlineData("{'resources':{'cpus':0.001}}", "resources.cpus", "must be a number between 0.01 and 64")]
    [InlineData("{'resources':{'cpus':64.5}}", "resources.cpus", "must be a number between 0.01 and 64")]
    [InlineData("{'resources':{'cpus':1e400}}", "resources.cpus", "must be a number between 0.01 and 64")]
    [InlineData("{'resources':{'cpus':'1'}}", "resources.cpus", "must be a number between 0.01 and 64 (got a string)")]
    [InlineData("{'resources':{'memoryMb':15}}", "resources.memoryMb", "must be an integer between 16 and 1048576")]
    [InlineData("{'resources':{'memoryMb':1048577}}", "resources.memoryMb", "must be an integer between 16 and 1048576")]
    [InlineData("{'resources':{'memoryMb':512.5}}", "resources.memoryMb", "must be an integer between 16 and 1048576")]
    [InlineData("{'resources':{'pids':7}}", "resources.pids", "must be an integer between 8 and 1048576")]
    [InlineData("{'resources':{'pids':1048577}}", "resources.pids", "must be an integer between 8 and 1048576")]
    [InlineData("{'resources':{'disk':1}}", "resources.disk", "unknown field (allowed: cpus, memoryMb, pids)")]
    [InlineData("{'resources':{'memoryMB':1}}", "resources.memoryMB", "did you mean \"memoryMb\"?")]
    [InlineData("{'resources':{'pids':8,'pids':9}}", "resources.pids", "duplicate key")]
    public void RootErrors(string json, string path, string message) => AssertError(Errors(json), path, message);

    [Theory]
    [InlineData("{'fs':{}}", "fs", "must be a list of mounts (got an object)")]
    [InlineData("{'fs':'/workspace'}", "fs", "must be a list of mounts (got a string)")]
    [InlineData("{'fs':[1]}", "fs[0]", "must be an object (got a number)")]
    [InlineData("{'fs':[null]}", "fs[0]", "must be an object (got null)")]
    [InlineData("{'fs':[{'mount':'/w'}]}", "fs[0].backend", "is required: one of local, s3, azure, gcs")]
    [InlineData("{'fs':[{'backend':'Local','mount':'/w'}]}", "fs[0].backend", "must be one of local, s3, azure, gcs")]
    [InlineData("{'fs':[{'backend':1,'mount':'/w'}]}", "fs[0].backend", "must be one of local, s3, azure, gcs (got a number)")]
    [InlineData("{'fs':[{'backend':'local'}]}", "fs[0].mount", "is required: an absolute path such as /workspace")]
    [InlineData("{'fs':[{'backend':'local','mount':''}]}", "fs[0].mount", "must not be empty")]
    [InlineData("{'fs':[{'backend':'local','mount':'w'}]}", "fs[0].mount", "must be an absolute path (start with /)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/'}]}", "fs[0].mount", "must not be / (mount a directory such as /workspace)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w/'}]}", "fs[0].mount", "must not end with /")]
    [InlineData("{'fs':[{'backend':'local','mount':'/a//b'}]}", "fs[0].mount", "must not contain empty segments (//)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/a/./b'}]}", "fs[0].mount", "must not contain . or .. segments")]
    [InlineData("{'fs':[{'backend':'local','mount':'/a/..'}]}", "fs[0].mount", "must not contain . or .. segments")]
    [InlineData("{'fs':[{'backend':'local','mount':'/a\\tb'}]}", "fs[0].mount", "must not contain control characters")]
    [InlineData("{'fs':[{'backend':'local','mount':'/proc'}]}", "fs[0].mount", "must not be /proc, /sys, /dev or inside them")]
    [InlineData("{'fs':[{'backend':'local','mount':'/sys/fs'}]}", "fs[0].mount", "must not be /proc, /sys, /dev or inside them")]
    [InlineData("{'fs':[{'backend':'local','mount':'/dev/shm'}]}", "fs[0].mount", "must not be /proc, /sys, /dev or inside them")]
    [InlineData("{'fs':[{'backend':'local','mount':'/a*'}]}", "fs[0].mount", "must not contain * or ?")]
    [InlineData("{'fs':[{'backend':'local','mount':7}]}", "fs[0].mount", "must be a string (got a number)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','colour':'red'}]}", "fs[0].colour", "unknown field (allowed: backend, mount, volume, origin, container, bucket, prefix, region, endpoint, credentials, acls)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','mount':'/x'}]}", "fs[0].mount", "duplicate key")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','container':'c1x'}]}", "fs[0].container", "is not allowed with backend local (only with s3, azure, gcs)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','prefix':'p'}]}", "fs[0].prefix", "is not allowed with backend local (only with s3, azure, gcs)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','volume':'v','origin':'/srv'}]}", "fs[0].origin", "cannot be combined with volume")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','volume':'-v'}]}", "fs[0].volume", "must be a volume name: 1-128 characters")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','volume':'a/b'}]}", "fs[0].volume", "must be a volume name")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','volume':''}]}", "fs[0].volume", "must be a volume name")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','origin':'srv'}]}", "fs[0].origin", "must be an absolute path")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','origin':'/srv/../etc'}]}", "fs[0].origin", "must not contain . or .. segments")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','origin':'/'}]}", "fs[0].origin", "must not be /")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w'}]}", "fs[0].container", "is required for backend azure")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x'}]}", "fs[0].credentials", "is required for backend azure: the name of a Hive secret")]
    [InlineData("{'fs':[{'backend':'s3','mount':'/w','credentials':'k'}]}", "fs[0].bucket", "is required for backend s3: the bucket name")]
    [InlineData("{'fs':[{'backend':'gcs','mount':'/w','credentials':'k'}]}", "fs[0].bucket", "is required for backend gcs")]
    [InlineData("{'fs':[{'backend':'s3','mount':'/w','bucket':'Bad_Bucket','credentials':'k'}]}", "fs[0].bucket", "must be an S3 bucket name")]
    [InlineData("{'fs':[{'backend':'s3','mount':'/w','bucket':'10.0.0.1','credentials':'k'}]}", "fs[0].bucket", "must be an S3 bucket name")]
    [InlineData("{'fs':[{'backend':'gcs','mount':'/w','bucket':'googbucket','credentials':'k'}]}", "fs[0].bucket", "must be a GCS bucket name")]
    [InlineData("{'fs':[{'backend':'s3','mount':'/w','bucket':'b1x','credentials':'k','container':'c1x'}]}", "fs[0].container", "is not allowed with backend s3")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','credentials':'k','bucket':'b1x'}]}", "fs[0].bucket", "is not allowed with backend azure")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','credentials':'k','region':'eu-west-1'}]}", "fs[0].region", "is not allowed with backend azure (only with s3)")]
    [InlineData("{'fs':[{'backend':'s3','mount':'/w','bucket':'b1x','credentials':'k','region':'EU west'}]}", "fs[0].region", "must be a region name")]
    [InlineData("{'fs':[{'backend':'s3','mount':'/w','bucket':'b1x','credentials':'k','endpoint':'ftp://x'}]}", "fs[0].endpoint", "must be an absolute http:// or https:// URL")]
    [InlineData("{'fs':[{'backend':'s3','mount':'/w','bucket':'b1x','credentials':'k','endpoint':'https://AKIA:SECRET@s3.example.com'}]}", "fs[0].endpoint", "must not carry a user name or password")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','credentials':'k','endpoint':'https://a.blob.core.windows.net/?sig=abc'}]}", "fs[0].endpoint", "must not have a query or fragment")]
    [InlineData("{'fs':[{'backend':'s3','mount':'/w','bucket':'b1x','credentials':'AKIA:secret/value'}]}", "fs[0].credentials", "must be the name of a Hive secret")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','credentials':'k'}]}", "fs[0].credentials", "is not allowed with backend local")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','bucket':'b1x'}]}", "fs[0].bucket", "is not allowed with backend local")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','volume':'v'}]}", "fs[0].volume", "is not allowed with backend azure (only with local)")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','origin':'/srv'}]}", "fs[0].origin", "is not allowed with backend azure (only with local)")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'Ab1'}]}", "fs[0].container", "must be an Azure container name")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'ab'}]}", "fs[0].container", "must be an Azure container name")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'a--b'}]}", "fs[0].container", "must be an Azure container name")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'-ab'}]}", "fs[0].container", "must be an Azure container name")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','prefix':'/x'}]}", "fs[0].prefix", "must be a relative blob prefix")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','prefix':'a/'}]}", "fs[0].prefix", "must be a relative blob prefix")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','prefix':'a/../b'}]}", "fs[0].prefix", "must be a relative blob prefix")]
    [InlineData("{'fs':[{'backend':'azure','mount':'/w','container':'c1x','prefix':''}]}", "fs[0].prefix", "must be a relative blob prefix")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w'},{'backend':'local','mount':'/w'}]}", "fs[1].mount", "duplicates fs[0].mount")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w'},{'backend':'local','mount':'/w/sub'}]}", "fs[1].mount", "is inside fs[0].mount (/w); mounts must not nest")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w/sub'},{'backend':'local','mount':'/w'}]}", "fs[1].mount", "contains fs[0].mount (/w/sub); mounts must not nest")]
    [InlineData("{'fs':[{'backend':'local','mount':'/a'},{'backend':'local','mount':'/b'},{'backend':'local','mount':'/a/b/c'}]}", "fs[2].mount", "is inside fs[0].mount (/a)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/a-b'},{'backend':'local','mount':'/a/b'}]}", "fs[1].volume", "defaults to \"box1-a-b\", which fs[0] also uses; set volume explicitly")]
    [InlineData("{'fs':[{'backend':'local','mount':'/data','volume':'box1-workspace'},{'backend':'local','mount':'/workspace'}]}", "fs[1].volume", "which fs[0] also uses")]
    // acls
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':{}}]}", "fs[0].acls", "must be a list of { path, access } rules (got an object)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':['/w/**']}]}", "fs[0].acls[0]", "must be an object (got a string)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/x/**','access':'rw'}]}]}", "fs[0].acls[0].path", "must be inside the mount: /w or a path starting with /w/")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/wx','access':'rw'}]}]}", "fs[0].acls[0].path", "must be inside the mount")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'w/**','access':'rw'}]}]}", "fs[0].acls[0].path", "must be an absolute path")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/w/','access':'rw'}]}]}", "fs[0].acls[0].path", "must not end with /")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/w/../etc','access':'rw'}]}]}", "fs[0].acls[0].path", "must not contain . or .. segments")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/w/a**','access':'rw'}]}]}", "fs[0].acls[0].path", "may use ** only as a whole path segment")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/w/***','access':'rw'}]}]}", "fs[0].acls[0].path", "may use ** only as a whole path segment")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/w/**','access':'rw'},{'path':'/w/x','access':'write'}]}]}", "fs[0].acls[1].access", "must be one of rw, ro, deny")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'access':'rw'}]}]}", "fs[0].acls[0].path", "is required")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/w'}]}]}", "fs[0].acls[0].access", "is required: one of rw, ro, deny")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':'/w','access':'rw','mode':1}]}]}", "fs[0].acls[0].mode", "unknown field (allowed: path, access)")]
    [InlineData("{'fs':[{'backend':'local','mount':'/w','acls':[{'path':5,'access':'rw'}]}]}", "fs[0].acls[0].path", "must be a string (got a number)")]
    public void FsErrors(string json, string path, string message) => AssertError(Errors(json), path, message);

    [Theory]
    [InlineData("{'egress':'*'}", "egress", "must be a list of rules or an object { \"allow\": [rules], \"deny\": [rules] } (got a string)")]
    [InlineData("{'egress':[1]}", "egress[0]", "must be an object (got a number)")]
    [InlineData("{'egress':[{'host':'a.com'}]}", "egress[0].access", "is required: one of allow, deny")]
    [InlineData("{'egress':[{'access':'permit','host':'a.com'}]}", "egress[0].access", "must be one of allow, deny")]
    [InlineData("{'egress':[{'access':'Allow','host':'a.com'}]}", "egress[0].access", "must be one of allow, deny")]
    [InlineData("{'egress':[{'access':'allow'}]}", "egress[0].host", "is required: an exact host name (api.github.com), *.domain")]
    [InlineData("{'egress':[{'access':'allow','host':1}]}", "egress[0].host", "must be a string (got a number)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com'},{'access':'allow','host':'a.com:443'}]}", "egress[1].host", "must not include a port; list ports in \"ports\"")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','hosts':['b']}]}", "egress[0].hosts", "unknown field (allowed: access, host, ports, methods, paths, override)")]
    [InlineData("{'egress':{'permit':[]}}", "egress.permit", "unknown field (allowed: allow, deny)")]
    [InlineData("{'egress':{'allow':{}}}", "egress.allow", "must be a list of rules (got an object)")]
    [InlineData("{'egress':{'allow':[{'access':'deny','host':'a.com'}]}}", "egress.allow[0].access", "must be \"allow\" inside egress.allow (or be omitted)")]
    [InlineData("{'egress':{'deny':[{'host':'a.com'},{'access':'allow','host':'a.com'}]}}", "egress.deny[1].access", "must be \"deny\" inside egress.deny (or be omitted)")]
    [InlineData("{'egress':{'deny':[{'host':'a.com','ports':[0]}]}}", "egress.deny[0].ports[0]", "must be an integer between 1 and 65535")]
    [InlineData("{'egress':{'allow':[{}]}}", "egress.allow[0].host", "is required")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','ports':[]}]}", "egress[0].ports", "must be a non-empty list of ports (omit it to allow any port) (got an empty list)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','ports':443}]}", "egress[0].ports", "must be a non-empty list of ports (omit it to allow any port) (got a number)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','ports':[0]}]}", "egress[0].ports[0]", "must be an integer between 1 and 65535")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','ports':[443,65536]}]}", "egress[0].ports[1]", "must be an integer between 1 and 65535")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','ports':['443']}]}", "egress[0].ports[0]", "must be an integer between 1 and 65535 (got a string)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','ports':[44.3]}]}", "egress[0].ports[0]", "must be an integer between 1 and 65535")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','methods':[]}]}", "egress[0].methods", "must be a non-empty list of HTTP methods")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','methods':'GET'}]}", "egress[0].methods", "must be a non-empty list of HTTP methods (omit it to allow any method) (got a string)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','methods':['GE T']}]}", "egress[0].methods[0]", "must be an HTTP method such as GET or POST")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','methods':['GET','']}]}", "egress[0].methods[1]", "must be an HTTP method")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','methods':['GET:']}]}", "egress[0].methods[0]", "must be an HTTP method")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','methods':[1]}]}", "egress[0].methods[0]", "must be a string (got a number)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','paths':[]}]}", "egress[0].paths", "must be a non-empty list of URL path patterns")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','paths':['repos/**']}]}", "egress[0].paths[0]", "must start with /")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','paths':['']}]}", "egress[0].paths[0]", "must start with /")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','paths':['/a','/a b']}]}", "egress[0].paths[1]", "must not contain whitespace, control characters, # or ?")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','paths':['/a?x=1']}]}", "egress[0].paths[0]", "must not contain whitespace, control characters, # or ?")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','paths':['/a#x']}]}", "egress[0].paths[0]", "must not contain whitespace")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','paths':['/a\\u0001']}]}", "egress[0].paths[0]", "must not contain whitespace")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':[]}]}", "egress[0].override", "must be an object (got a list)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'cookies':{}}}]}", "egress[0].override.cookies", "unknown field (allowed: headers, query)")]
    [InlineData("{'egress':[{'access':'deny','host':'a.com','override':{'headers':{'X-A':'1'}}}]}", "egress[0].override", "is only allowed on allow rules")]
    [InlineData("{'egress':{'deny':[{'host':'a.com','override':{}}]}}", "egress.deny[0].override", "is only allowed on allow rules")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':[]}}]}", "egress[0].override.headers", "must be an object (got a list)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X Token':'v'}}}]}", "egress[0].override.headers[\"X Token\"]", "header name must be an HTTP token")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'':'v'}}}]}", "egress[0].override.headers[\"\"]", "header name must be an HTTP token")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'Host':'v'}}}]}", "egress[0].override.headers.Host", "cannot be overridden: the proxy manages this header")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'content-length':'1'}}}]}", "egress[0].override.headers[\"content-length\"]", "cannot be overridden")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'Transfer-Encoding':'chunked'}}}]}", "egress[0].override.headers[\"Transfer-Encoding\"]", "cannot be overridden")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'Connection':'close'}}}]}", "egress[0].override.headers.Connection", "cannot be overridden")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'upgrade':'h2c'}}}]}", "egress[0].override.headers.upgrade", "cannot be overridden")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'Keep-Alive':'1'}}}]}", "egress[0].override.headers[\"Keep-Alive\"]", "cannot be overridden")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'TE':'trailers'}}}]}", "egress[0].override.headers.TE", "cannot be overridden")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'Proxy-Authorization':'x'}}}]}", "egress[0].override.headers[\"Proxy-Authorization\"]", "cannot be overridden")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-Token':'a\\r\\nEvil: 1'}}}]}", "egress[0].override.headers[\"X-Token\"]", "value must not contain CR, LF or NUL")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-Token':'a\\u0000'}}}]}", "egress[0].override.headers[\"X-Token\"]", "value must not contain CR, LF or NUL")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-Token':5}}}]}", "egress[0].override.headers[\"X-Token\"]", "value must be a string (got a number)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-A':'1','x-a':'2'}}}]}", "egress[0].override.headers[\"x-a\"]", "duplicate header (header names are case-insensitive)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'query':[]}}]}", "egress[0].override.query", "must be an object (got a list)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'query':{'':'v'}}}]}", "egress[0].override.query[\"\"]", "query parameter name must not be empty")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'query':{'k':1}}}]}", "egress[0].override.query.k", "value must be a string (got a number)")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'query':{'k':'1','k':'2'}}}]}", "egress[0].override.query.k", "duplicate key")]
    public void EgressErrors(string json, string path, string message) => AssertError(Errors(json), path, message);

    [Fact]
    public void InvalidJsonReportsPosition()
    {
        var error = Assert.Single(Errors("{\n 'ttl': 1,\n 'image' 'x'\n}"));
        Assert.Equal("$", error.Path);
        Assert.Contains("LineNumber: 2", error.Message);
    }

    [Fact]
    public void InvalidUtf8IsRejectedAtTheRoot()
    {
        byte[] body = [.. "{\"env\":{\"A\":\""u8, 0xC3, 0x28, .. "\"}}"u8];
        var result = ConfigParser.Parse(body, Box);
        var error = Assert.Single(result.Errors);
        Assert.Equal(new ConfigError("$", "the body is not valid UTF-8 (at byte 13)"), error);
    }

    [Fact]
    public void DeepNestingIsRejected()
    {
        var json = "{\"env\":" + new string('[', 100) + new string(']', 100) + "}";
        Assert.Equal("$", Assert.Single(ConfigParser.Parse(json, Box).Errors).Path);
    }

    [Fact]
    public void ImageLongerThan200IsRejected()
    {
        AssertError(Errors($"{{'image':'{new string('a', 201)}'}}"), "image", "at most 200 characters");
        Assert.Equal(200, Ok($"{{'image':'{new string('a', 200)}'}}").Image.Length);
    }

    [Fact]
    public void TooManyEnvVariables()
    {
        var json = "{\"env\":{" + string.Join(",", Enumerable.Range(0, 257).Select(i => $"\"V{i}\":\"x\"")) + "}}";
        AssertError(ConfigParser.Parse(json, Box).Errors, "env", "must have at most 256 variables");
    }

    [Fact]
    public void SecretNameLongerThan128IsRejected()
    {
        AssertError(Errors($"{{'secrets':{{'A':'{new string('s', 129)}'}}}}"), "secrets.A", "must be a secret name");
        Assert.Single(Ok($"{{'secrets':{{'A':'{new string('s', 128)}'}}}}").Secrets);
    }

    [Fact]
    public void AllErrorsAreCollected()
    {
        var errors = Errors("{'image':'BAD','colour':1,'ttl':-1,'env':{'1':'x'}," +
                            "'fs':[{'backend':'nfs','mount':'rel'}]," +
                            "'egress':[{'access':'allow','host':'a b','ports':[0,70000]}],'resources':{'cpus':0}}");
        string[] expected = ["image", "colour", "ttl", "env[\"1\"]", "fs[0].backend", "fs[0].mount",
                             "egress[0].host", "egress[0].ports[0]", "egress[0].ports[1]", "resources.cpus"];
        Assert.Equal(expected.Order(), errors.Select(e => e.Path).Order());
    }

    [Fact]
    public void ErrorToStringIsPathColonMessage() =>
        Assert.Equal("egress[2].ports[0]: must be 1-65535", new ConfigError("egress[2].ports[0]", "must be 1-65535").ToString());

    [Theory]
    [InlineData("{'env':{'A':'t0pS3cret\\u0000'}}")]
    [InlineData("{'env':{'A':{'t0pS3cret':1}}}")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-Token':'t0pS3cret\\n'}}}]}")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'Host':'t0pS3cret'}}}]}")]
    [InlineData("{'egress':[{'access':'deny','host':'a.com','override':{'query':{'k':'t0pS3cret'}}}]}")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'headers':{'X-Token':'t0pS3cret','x-token':'t0pS3cret'}}}]}")]
    [InlineData("{'egress':[{'access':'allow','host':'a.com','override':{'query':{'':'t0pS3cret'},'colour':'t0pS3cret'}}]}")]
    public void ErrorsNeverContainValues(string json)
    {
        var errors = Errors(json);
        Assert.All(errors, e => Assert.DoesNotContain("t0pS3cret", e.ToString(), StringComparison.OrdinalIgnoreCase));
    }
}
