<?php
// `php -S` router: static files as they are, every other path through WordPress's
// front controller (what Apache's mod_rewrite rules in WordPress's .htaccess do), so
// pretty permalinks (/%postname%/, /wp-json/, /wp-sitemap.xml, /feed/) answer.
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (is_string($path) && $path !== '/' && is_file(__DIR__ . $path)) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = __DIR__ . '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
require __DIR__ . '/index.php';
