namespace HiveClient; public static class Hive { }
